using System.Net;
using System.Text;
using System.Text.Json;

namespace Gateway.IntegrationTests.Foundation;

/// <summary>The running system does something real: an MCP client reaches the demo backends through the proxy.</summary>
[Collection(WholeSystemTests.Name)]
public sealed class ProxyMcpSmokeTests(WholeSystemFixture fixture)
{
    [Fact]
    public async Task An_mcp_client_with_the_demo_admin_key_initializes_pings_and_lists_the_demo_backend_tools()
    {
        await fixture.App.WaitForResourceHealthyAsync("proxy").WaitAsync(TimeSpan.FromSeconds(60));
        using var client = fixture.App.CreateAuthenticatedHttpClient("proxy", fixture.AdminApiKey);

        var (initialize, session) = await PostAsync(client, null,
            """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"smoke","version":"1"}}}""");
        await PostAsync(client, session, """{"jsonrpc":"2.0","method":"notifications/initialized"}""");
        var (ping, _) = await PostAsync(client, session, """{"jsonrpc":"2.0","id":2,"method":"ping"}""");
        var (tools, _) = await PostAsync(client, session, """{"jsonrpc":"2.0","id":3,"method":"tools/list"}""");

        Assert.True(initialize!.RootElement.GetProperty("result").TryGetProperty("serverInfo", out _));
        Assert.Equal(JsonValueKind.Object, ping!.RootElement.GetProperty("result").ValueKind);
        var names = tools!.RootElement.GetProperty("result").GetProperty("tools").EnumerateArray()
            .Select(t => t.GetProperty("name").GetString()!).ToArray();
        Assert.Contains(names, name => name.Contains("echo", StringComparison.Ordinal));
    }

    /// <summary>Posts one JSON-RPC message; reads a JSON or an SSE answer (the last <c>data:</c> event).</summary>
    private static async Task<(JsonDocument? Body, string? Session)> PostAsync(HttpClient client, string? session, string message)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/mcp", UriKind.Relative))
        {
            Content = new StringContent(message, Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");
        request.Headers.Add("MCP-Protocol-Version", "2025-06-18");
        if (session is not null)
        {
            request.Headers.Add("Mcp-Session-Id", session);
        }

        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        var newSession = response.Headers.TryGetValues("Mcp-Session-Id", out var values) ? values.First() : session;
        if (response.StatusCode == HttpStatusCode.Accepted || string.IsNullOrWhiteSpace(text))
        {
            return (null, newSession);
        }

        var json = response.Content.Headers.ContentType?.MediaType == "text/event-stream"
            ? text.Split('\n').Where(l => l.StartsWith("data:", StringComparison.Ordinal)).Select(l => l[5..].Trim()).Last()
            : text;
        return (JsonDocument.Parse(json), newSession);
    }
}
