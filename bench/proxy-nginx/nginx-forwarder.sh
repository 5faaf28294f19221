#!/bin/bash
# nginx as a plain reverse proxy in the gateway's place: the reference point for what an HTTP hop costs on this
# machine when the proxy is written in C and event-driven. bench/run (tools-call) starts it like the gateway (the backend's URL
# in Gateway__Backends__0__Url, "Now listening on: <url>" expected on stdout) and measures it the same way; the
# request path (/mcp) is passed on unchanged.
# One process (master_process off, one worker), so the bench's CPU and working-set figures are nginx's own. Its config
# and temp files stay in a mktemp folder under /tmp (the script execs nginx, so no shell stays behind to remove it).
set -euo pipefail
# Checked before "Now listening" is printed, so the bench fails at once instead of measuring connection errors.
command -v nginx >/dev/null || { echo "nginx is not installed: apt-get install -y nginx-light" >&2; exit 1; }
backend=${Gateway__Backends__0__Url:?Gateway__Backends__0__Url is not set}
hostport=${backend#http://}
hostport=${hostport%%/*}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
dir=$(mktemp -d)
cat > "$dir/nginx.conf" <<CONF
daemon off;
master_process off;
worker_processes 1;
error_log stderr warn;
pid $dir/nginx.pid;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $dir;
    proxy_temp_path $dir;
    upstream backend { server $hostport; keepalive 128; }
    server {
        listen 127.0.0.1:$port;
        location / {
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
        }
    }
}
CONF
echo "Now listening on: http://127.0.0.1:$port"
exec nginx -c "$dir/nginx.conf" -p "$dir"
