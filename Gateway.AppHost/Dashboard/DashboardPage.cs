namespace Gateway.AppHost.Dashboard;

/// <summary>The dashboard page: plain HTML and a few lines of script that poll <c>/api/resources</c>.</summary>
internal static class DashboardPage
{
    public const string Html = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>Gateway AppHost</title>
        <style>
          body { font: 14px system-ui, sans-serif; margin: 1.5rem; color: #222; }
          table { border-collapse: collapse; width: 100%; }
          th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #ddd; vertical-align: top; }
          .Healthy { color: #1a7f37; } .Unhealthy { color: #cf222e; } .Unknown { color: #9a6700; }
          pre { background: #f6f8fa; padding: .5rem; max-height: 18rem; overflow: auto; font-size: 12px; }
          small { color: #666; }
        </style>
        </head>
        <body>
        <h1>Gateway AppHost</h1>
        <p><small>Refreshes every 2 s. JSON: <a href="/api/resources">/api/resources</a></small></p>
        <table>
          <thead><tr><th>Resource</th><th>Kind</th><th>State</th><th>Health</th><th>PID</th><th>Restarts</th><th>Endpoints</th></tr></thead>
          <tbody id="resources"></tbody>
        </table>
        <script>
        const escape = s => String(s ?? "").replace(/[&<>"]/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
        const open = new Set();
        async function refresh() {
          const resources = await (await fetch("/api/resources")).json();
          document.getElementById("resources").innerHTML = resources.map(r => `
            <tr>
              <td><b>${escape(r.name)}</b></td><td>${escape(r.kind)}</td><td>${escape(r.state)}</td>
              <td class="${escape(r.health)}">${escape(r.health)}<br><small>${escape(r.healthCheck)}</small></td>
              <td>${escape(r.processId ?? "-")}</td><td>${r.restarts}${r.lastExitCode != null ? ` <small>(last exit ${r.lastExitCode})</small>` : ""}</td>
              <td>${Object.entries(r.endpoints).map(([n, u]) => `${escape(n)}: <a href="${escape(u)}">${escape(u)}</a>`).join("<br>")}
                  ${r.connectionString ? `<br><small>${escape(r.connectionString)}</small>` : ""}</td>
            </tr>
            <tr><td colspan="7"><details data-name="${escape(r.name)}" ${open.has(r.name) ? "open" : ""}>
              <summary>logs <small>${escape(r.logFile)}</small></summary><pre>${escape(r.recentLogs.join("\n"))}</pre></details></td></tr>`).join("");
          document.querySelectorAll("details").forEach(d => d.addEventListener("toggle", () => d.open ? open.add(d.dataset.name) : open.delete(d.dataset.name)));
        }
        refresh(); setInterval(refresh, 2000);
        </script>
        </body>
        </html>
        """;
}
