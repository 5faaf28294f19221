using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Gateway.Testing;

/// <summary>
/// A minimal MCP client over a proxy's Streamable HTTP <c>/mcp</c>: one session (protocol 2025-06-18), JSON or SSE
/// answers. Used by the whole-system tests and the circuit benchmark, which drive proxies the way an agent does.
/// </summary>
public sealed class McpHttpSession(HttpClient http, string clientName) : IDisposable
{
    private const string ProtocolVersion = "2025-06-18";
    private string? _sessionId;
    private long _lastId;

    /// <summary>The session id the proxy gave at initialize (the audit log's <c>sessionId</c>).</summary>
    public string? SessionId => _sessionId;

    /// <summary>The JSON-RPC id of the last request sent (the audit log's <c>requestId</c>).</summary>
    public long LastRequestId => Interlocked.Read(ref _lastId);

    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        using var response = await RequestMessageAsync("initialize", new
        {
            protocolVersion = ProtocolVersion,
            capabilities = new { },
            clientInfo = new { name = clientName, version = "1" },
        }, cancellationToken);
        response.Response.EnsureSuccessStatusCode();
        _sessionId = response.Response.Headers.TryGetValues("Mcp-Session-Id", out var values) ? values.First() : null;
        using var initialized = await PostAsync("""{"jsonrpc":"2.0","method":"notifications/initialized"}""", cancellationToken);
    }

    /// <summary>Calls a tool without arguments and returns the JSON-RPC response object.</summary>
    public Task<JsonElement> CallToolAsync(string tool, CancellationToken cancellationToken = default) =>
        RequestAsync("tools/call", new { name = tool, arguments = new { } }, cancellationToken);

    /// <summary>Sends one request and returns the JSON-RPC response object (from a JSON body or the SSE stream).</summary>
    public async Task<JsonElement> RequestAsync(string method, object parameters, CancellationToken cancellationToken = default)
    {
        using var exchange = await RequestMessageAsync(method, parameters, cancellationToken);
        return await AnswerAsync(exchange, JsonSerializer.Serialize(exchange.Id), cancellationToken);
    }

    /// <summary>
    /// Sends one request with the JSON-RPC id <paramref name="id"/> (a string the audit log's <c>requestId</c> will
    /// hold) and returns the HTTP status with the JSON-RPC response object, or null when the body holds none.
    /// </summary>
    public async Task<(System.Net.HttpStatusCode Status, JsonElement? Answer)> SendAsync(string id, string method, object parameters, CancellationToken cancellationToken = default)
    {
        using var response = await PostAsync(JsonSerializer.Serialize(new { jsonrpc = "2.0", id, method, @params = parameters }), cancellationToken);
        using var exchange = new Exchange(0, response);
        try
        {
            return (response.StatusCode, await AnswerAsync(exchange, JsonSerializer.Serialize(id), cancellationToken));
        }
        catch (JsonException)
        {
            return (response.StatusCode, null);
        }
    }

    private static async Task<JsonElement> AnswerAsync(Exchange exchange, string jsonId, CancellationToken cancellationToken)
    {
        var text = await exchange.Response.Content.ReadAsStringAsync(cancellationToken);
        if (exchange.Response.Content.Headers.ContentType?.MediaType == "text/event-stream")
        {
            // The answer is the event carrying this request's id; progress and logging events come before it.
            var id = "\"id\":" + jsonId;
            text = text.Split('\n').Where(l => l.StartsWith("data:", StringComparison.Ordinal)).Select(l => l[5..].Trim())
                .LastOrDefault(l => l.Contains(id + ",", StringComparison.Ordinal) || l.Contains(id + "}", StringComparison.Ordinal)) ?? "";
        }

        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    public void Dispose() => http.Dispose();

    private async Task<Exchange> RequestMessageAsync(string method, object parameters, CancellationToken cancellationToken)
    {
        var id = Interlocked.Increment(ref _lastId);
        var response = await PostAsync(JsonSerializer.Serialize(new { jsonrpc = "2.0", id, method, @params = parameters }), cancellationToken);
        return new Exchange(id, response);
    }

    private async Task<HttpResponseMessage> PostAsync(string body, CancellationToken cancellationToken)
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
            request.Headers.Add("MCP-Protocol-Version", ProtocolVersion);
        }

        return await http.SendAsync(request, cancellationToken);
    }

    private sealed record Exchange(long Id, HttpResponseMessage Response) : IDisposable
    {
        public void Dispose() => Response.Dispose();
    }
}
