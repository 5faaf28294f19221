using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Gateway.IntegrationTests.Support;
using Gateway.Testing;

namespace Gateway.IntegrationTests.Identity;

/// <summary>
/// MCP authorization end to end: the TypeScript SDK's OAuth support discovers the demo authorization server from the
/// gateway's 401, signs the demo user in (authorization code + PKCE) or authenticates as an agent (client
/// credentials), and calls tools through the gateway; the audit log names the user.
/// </summary>
public sealed class OAuthFlowTests(OAuthSystemFixture system) : IClassFixture<OAuthSystemFixture>
{
    [Fact]
    public async Task The_gateway_answers_401_pointing_to_its_metadata_which_names_the_authorization_server()
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, system.McpUrl) { Content = new StringContent("{}") };
        request.Content.Headers.ContentType = new("application/json");

        using var refused = await http.SendAsync(request);
        var metadataUrl = new Uri(system.McpUrl, "/.well-known/oauth-protected-resource/mcp");
        using var metadata = JsonDocument.Parse(await http.GetStringAsync(metadataUrl));

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal($"Bearer resource_metadata=\"{metadataUrl}\"", refused.Headers.WwwAuthenticate.ToString());
        Assert.Equal(system.McpUrl.AbsoluteUri, metadata.RootElement.GetProperty("resource").GetString());
        Assert.Equal(system.Issuer.AbsoluteUri, metadata.RootElement.GetProperty("authorization_servers")[0].GetString());
    }

    [Fact]
    public async Task An_mcp_host_signs_the_user_in_with_pkce_calls_tools_and_the_audit_names_the_user()
    {
        var summary = await RunSdkAsync(system.McpUrl.AbsoluteUri, "code", "alice", system.UserPassword);

        Assert.True(summary.GetProperty("signedIn").GetBoolean());
        Assert.Equal("S256", summary.GetProperty("codeChallengeMethod").GetString());
        Assert.Equal(system.McpUrl.AbsoluteUri, summary.GetProperty("resource").GetString());
        Assert.True(summary.GetProperty("tools").GetInt32() > 0);
        Assert.Contains("hello with oauth", summary.GetProperty("echo").GetString(), StringComparison.Ordinal);
        var audited = await system.App.WaitForAuditAsync(e => e.TryGetProperty("user", out var user) && user.GetString() == "alice",
            "method=tools/call&client=mcp-host");
        Assert.Equal("ok", audited.GetProperty("status").GetString());
    }

    [Fact]
    public async Task An_agent_with_client_credentials_calls_tools_through_the_gateway()
    {
        var summary = await RunSdkAsync(system.McpUrl.AbsoluteUri, "client-credentials", "demo-agent", system.AgentSecret, system.Issuer.AbsoluteUri);

        Assert.True(summary.GetProperty("hasToken").GetBoolean());
        Assert.Contains("hello with oauth", summary.GetProperty("echo").GetString(), StringComparison.Ordinal);
        await system.App.WaitForAuditAsync(e => e.TryGetProperty("user", out var user) && user.GetString() == "demo-agent",
            "method=tools/call&client=demo-agent");
    }

    [Fact]
    public async Task A_stdio_backends_environment_holds_none_of_the_proxys_connection_strings_or_secrets()
    {
        var proxy = await system.App.EnvironmentAsync("proxy");
        using var http = system.App.CreateAdminClient("proxy");
        using var session = new McpHttpSession(http, "env-check");
        await session.InitializeAsync();
        var tools = await session.RequestAsync("tools/list", new { });
        var getEnv = tools.GetProperty("result").GetProperty("tools").EnumerateArray().Select(t => t.GetProperty("name").GetString()!)
            .Single(name => name.StartsWith("everything-stdio", StringComparison.Ordinal) && name.EndsWith("get-env", StringComparison.Ordinal));

        var answer = await session.CallToolAsync(getEnv);

        var shown = answer.GetProperty("result").GetProperty("content")[0].GetProperty("text").GetString()!;
        Assert.Contains("PATH", shown, StringComparison.Ordinal);
        Assert.DoesNotContain("ConnectionStrings", shown, StringComparison.Ordinal);
        Assert.DoesNotContain("OTEL_", shown, StringComparison.Ordinal);
        foreach (var (name, value) in proxy.Where(v => v.Key.StartsWith("ConnectionStrings__", StringComparison.Ordinal)))
        {
            Assert.False(shown.Contains(value, StringComparison.Ordinal), $"{name} reached the stdio backend");
        }

        Assert.DoesNotContain(system.App.AdminKey, shown, StringComparison.Ordinal);
    }

    private static async Task<JsonElement> RunSdkAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.Combine(AppHostProcess.RepositoryRoot, "peers"),
        };
        start.ArgumentList.Add("oauth-client.mjs");
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        Assert.True(process.ExitCode == 0, $"SDK client failed ({process.ExitCode}): {await stderr}");
        return JsonDocument.Parse((await stdout).Trim().Split('\n')[^1]).RootElement.Clone();
    }
}
