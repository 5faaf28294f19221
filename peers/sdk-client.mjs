// The official MCP TypeScript SDK client, run against the gateway by Gateway.Proxy.Tests (Peers/).
// Usage: node sdk-client.mjs <gateway /mcp URL>. The gateway fronts two server-everything instances named
// "http" (Streamable HTTP) and "stdio" (child process), so every name collides and carries its backend prefix.
// Prints one JSON summary line on stdout; the test asserts on it.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { CreateMessageRequestSchema, LoggingMessageNotificationSchema } from "@modelcontextprotocol/sdk/types.js";

const url = new URL(process.argv[2]);
const client = new Client({ name: "sdk-peer-test", version: "1.0.0" }, { capabilities: { sampling: {} } });
const logs = [];
client.setNotificationHandler(LoggingMessageNotificationSchema, (notification) => logs.push(notification.params));
let samplingRequests = 0;
client.setRequestHandler(CreateMessageRequestSchema, async () => {
  samplingRequests++;
  return { role: "assistant", content: { type: "text", text: "sampled by the sdk client" }, model: "test-model" };
});

const text = (result) => result.content?.find((c) => c.type === "text")?.text ?? null;
const withProgress = async (name) => {
  const progress = [];
  const result = await client.callTool({ name, arguments: { duration: 1, steps: 2 } }, undefined, {
    onprogress: (p) => progress.push(p.progress),
  });
  return { text: text(result), progress };
};
const waitFor = async (condition, ms) => {
  for (const end = Date.now() + ms; !condition() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 50));
};

await client.connect(new StreamableHTTPClientTransport(url));
const summary = { protocolVersion: client.getServerVersion()?.name };
summary.tools = (await client.listTools()).tools.map((t) => t.name);
summary.echoHttp = text(await client.callTool({ name: "http__echo", arguments: { message: "via http" } }));
summary.echoStdio = text(await client.callTool({ name: "stdio__echo", arguments: { message: "via stdio" } }));
summary.progressHttp = await withProgress("http__trigger-long-running-operation");
summary.progressStdio = await withProgress("stdio__trigger-long-running-operation");
const resources = (await client.listResources()).resources;
summary.resourceCount = resources.length;
summary.read = (await client.readResource({ uri: resources[0].uri })).contents.length;
summary.templates = (await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate);
summary.prompts = (await client.listPrompts()).prompts.map((p) => p.name);
summary.promptHttp = (await client.getPrompt({ name: "http__simple-prompt" })).messages.length;
summary.promptStdio = (await client.getPrompt({ name: "stdio__args-prompt", arguments: { city: "Paris" } })).messages.length;
await client.setLoggingLevel("debug");
await client.callTool({ name: "http__toggle-simulated-logging", arguments: {} });
await client.callTool({ name: "stdio__toggle-simulated-logging", arguments: {} });
await waitFor(() => logs.length >= 2, 15000);
summary.logs = logs.length;
summary.sampling = text(await client.callTool({ name: "http__trigger-sampling-request", arguments: { prompt: "hello", maxTokens: 20 } }));
summary.samplingRequests = samplingRequests;
await client.callTool({ name: "http__toggle-simulated-logging", arguments: {} });
await client.callTool({ name: "stdio__toggle-simulated-logging", arguments: {} });
await client.close();
console.log(JSON.stringify(summary));
