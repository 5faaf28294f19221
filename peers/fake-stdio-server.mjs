// A minimal stdio MCP server for the gateway's tests: newline-delimited JSON-RPC on stdin/stdout.
// Tools: echo (returns its arguments), whoami (pid, cwd, FAKE_VAR), exit (dies with code 3).
import { createInterface } from "node:readline";

const tools = ["echo", "whoami", "exit"].map((name) => ({ name, inputSchema: { type: "object" } }));
const send = (message) => process.stdout.write(JSON.stringify({ jsonrpc: "2.0", ...message }) + "\n");
const text = (value) => ({ content: [{ type: "text", text: value }] });

createInterface({ input: process.stdin }).on("line", (line) => {
  const message = JSON.parse(line);
  if (message.id === undefined || message.method === undefined) return;
  const { id, method, params = {} } = message;
  switch (method) {
    case "initialize":
      return send({ id, result: { protocolVersion: params.protocolVersion, capabilities: { tools: {} }, serverInfo: { name: "fake-stdio", version: "1.0.0" } } });
    case "ping":
      return send({ id, result: {} });
    case "tools/list":
      return send({ id, result: { tools } });
    case "tools/call":
      if (params.name === "exit") process.exit(3);
      if (params.name === "whoami") return send({ id, result: text(JSON.stringify({ pid: process.pid, cwd: process.cwd(), fake: process.env.FAKE_VAR ?? null, inlineCompletions: process.env.DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS ?? null })) });
      return send({ id, result: text(`stdio:${params.name}:${JSON.stringify(params.arguments ?? {})}`) });
    default:
      return send({ id, error: { code: -32601, message: `Method not found: ${method}` } });
  }
});
