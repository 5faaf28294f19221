// The official MCP TypeScript SDK client with its OAuth support, run against the gateway by Gateway.IntegrationTests.
// Usage:
//   node oauth-client.mjs <gateway /mcp URL> code <user> <password>
//     authorization code + PKCE as an MCP host does it: discovery from the 401 (protected resource metadata, then the
//     authorization server's metadata), the public client "mcp-host", a loopback redirect; the browser's part (the
//     sign-in form) is played by posting the form with the user's name and password.
//   node oauth-client.mjs <gateway /mcp URL> client-credentials <client id> <secret> <issuer>
//     an agent with the SDK's ClientCredentialsProvider.
// Prints one JSON summary line on stdout: tools, the echo answer, and what the flow did.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { ClientCredentialsProvider } from "@modelcontextprotocol/sdk/client/auth-extensions.js";

const [url, mode, ...rest] = process.argv.slice(2);
const summary = { mode };

class SignInProvider {
  constructor(user, password) {
    this.user = user;
    this.password = password;
    this.redirect = `http://127.0.0.1:${40000 + Math.floor(Math.random() * 20000)}/callback`;
  }
  get redirectUrl() { return this.redirect; }
  get clientMetadata() {
    return { client_name: "sdk oauth test", redirect_uris: [this.redirect], grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"], token_endpoint_auth_method: "none", scope: "mcp:tools" };
  }
  clientInformation() { return { client_id: "mcp-host" }; }
  tokens() { return this._tokens; }
  saveTokens(tokens) { this._tokens = tokens; }
  saveCodeVerifier(verifier) { this._verifier = verifier; }
  codeVerifier() { return this._verifier; }
  async redirectToAuthorization(authorizationUrl) {
    summary.authorizationUrl = authorizationUrl.origin + authorizationUrl.pathname;
    summary.resource = authorizationUrl.searchParams.get("resource");
    summary.codeChallengeMethod = authorizationUrl.searchParams.get("code_challenge_method");
    const form = new URLSearchParams(authorizationUrl.searchParams);
    form.set("username", this.user);
    form.set("password", this.password);
    const response = await fetch(authorizationUrl.origin + authorizationUrl.pathname, { method: "POST", body: form, redirect: "manual" });
    const location = new URL(response.headers.get("location"));
    this.code = location.searchParams.get("code");
  }
}

let provider;
if (mode === "code") {
  provider = new SignInProvider(rest[0], rest[1]);
} else {
  provider = new ClientCredentialsProvider({ clientId: rest[0], clientSecret: rest[1], scope: "mcp:tools", expectedIssuer: rest[2] });
}

const connect = async () => {
  const client = new Client({ name: "sdk-oauth-test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider });
  try {
    await client.connect(transport);
    return client;
  } catch (error) {
    if (!(error instanceof UnauthorizedError) || mode !== "code" || !provider.code) throw error;
    summary.signedIn = true;
    await transport.finishAuth(provider.code);
    const retry = new Client({ name: "sdk-oauth-test", version: "1.0.0" });
    await retry.connect(new StreamableHTTPClientTransport(new URL(url), { authProvider: provider }));
    return retry;
  }
};

const client = await connect();
const tools = (await client.listTools()).tools.map((t) => t.name);
summary.tools = tools.length;
const echo = tools.find((name) => name.endsWith("echo"));
const result = await client.callTool({ name: echo, arguments: { message: "hello with oauth" } });
summary.echo = result.content?.find((c) => c.type === "text")?.text ?? null;
summary.hasToken = Boolean(provider.tokens()?.access_token);
await client.close();
console.log(JSON.stringify(summary));
