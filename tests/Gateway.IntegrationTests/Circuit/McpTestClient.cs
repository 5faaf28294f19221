using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Gateway.IntegrationTests.Circuit;

/// <summary>A minimal MCP client over the proxy's Streamable HTTP <c>/mcp</c>: one session, JSON or SSE answers.</summary>
public sealed class McpTestClient(HttpClient http) : IDisposable
{
    private string? _sessionId;

    public async Task InitializeAsync()
    {
        using var response = await PostAsync("""{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"circuit-tests","version":"1"}}}""");
        response.EnsureSuccessStatusCode();
        _sessionId = response.Headers.TryGetValues("Mcp-Session-Id", out var values) ? values.First() : null;
        using var initialized = await PostAsync("""{"jsonrpc":"2.0","method":"notifications/initialized"}""");
    }

    /// <summary>Calls a tool and returns the JSON-RPC response object.</summary>
    public Task<JsonElement> CallToolAsync(string tool) => RequestAsync("tools/call", new { name = tool, arguments = new { } });

    /// <summary>Sends one request and returns the JSON-RPC response object.</summary>
    public async Task<JsonElement> RequestAsync(string method, object parameters)
    {
        using var response = await PostAsync(
            JsonSerializer.Serialize(new { jsonrpc = "2.0", id = 2, method, @params = parameters }));
        var text = await response.Content.ReadAsStringAsync();
        if (response.Content.Headers.ContentType?.MediaType == "text/event-stream")
        {
            text = text.Split('\n').Where(l => l.StartsWith("data:", StringComparison.Ordinal)).Select(l => l[5..].Trim())
                .Last(l => l.Contains("\"id\":2", StringComparison.Ordinal));
        }

        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public void Dispose() => http.Dispose();

    private async Task<HttpResponseMessage> PostAsync(string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/mcp", UriKind.Relative))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (_sessionId is not null)
        {
            request.Headers.Add("Mcp-Session-Id", _sessionId);
            request.Headers.Add("MCP-Protocol-Version", "2025-06-18");
        }

        return await http.SendAsync(request);
    }
}
