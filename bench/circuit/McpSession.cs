using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Gateway.Bench.Circuit;

/// <summary>What one <c>tools/call</c> through a proxy came back with.</summary>
internal enum CallOutcome
{
    Ok,

    /// <summary>JSON-RPC error -32007: refused by the circuit gate without calling the backend.</summary>
    CircuitOpen,

    /// <summary>Any other JSON-RPC error (e.g. the backend's 503 passed on as a backend error).</summary>
    OtherError,

    /// <summary>No JSON-RPC answer at all.</summary>
    Failed,
}

/// <summary>A call's outcome and, for a JSON-RPC error, its code (0 otherwise).</summary>
internal readonly record struct CallAnswer(CallOutcome Outcome, int Code);

/// <summary>One MCP session on a proxy replica's Streamable HTTP <c>/mcp</c>, for <c>tools/call</c> at a fixed rate.</summary>
internal sealed class McpSession(HttpClient http) : IDisposable
{
    private const string ProtocolVersion = "2025-06-18";
    private const int CircuitOpenCode = -32007;
    private string? _sessionId;
    private long _nextId = 1;

    public async Task InitializeAsync()
    {
        using var response = await PostAsync(
            "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"" + ProtocolVersion
                + "\",\"capabilities\":{},\"clientInfo\":{\"name\":\"circuit-bench\",\"version\":\"1\"}}}",
            CancellationToken.None);
        response.EnsureSuccessStatusCode();
        _sessionId = response.Headers.TryGetValues("Mcp-Session-Id", out var values) ? values.First() : null;
        using var initialized = await PostAsync("""{"jsonrpc":"2.0","method":"notifications/initialized"}""", CancellationToken.None);
    }

    public async Task<CallAnswer> CallToolAsync(string tool, CancellationToken cancellationToken)
    {
        var id = Interlocked.Increment(ref _nextId);
        try
        {
            using var response = await PostAsync(
                "{\"jsonrpc\":\"2.0\",\"id\":" + id.ToString(CultureInfo.InvariantCulture)
                    + ",\"method\":\"tools/call\",\"params\":{\"name\":\"" + tool + "\",\"arguments\":{}}}",
                cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.Content.Headers.ContentType?.MediaType == "text/event-stream")
            {
                text = text.Split('\n').Where(l => l.StartsWith("data:", StringComparison.Ordinal)).Select(l => l[5..].Trim()).LastOrDefault() ?? "";
            }

            using var answer = JsonDocument.Parse(text);
            if (answer.RootElement.TryGetProperty("error", out var error))
            {
                var code = error.GetProperty("code").GetInt32();
                return new CallAnswer(code == CircuitOpenCode ? CallOutcome.CircuitOpen : CallOutcome.OtherError, code);
            }

            return new CallAnswer(
                answer.RootElement.TryGetProperty("result", out var result) && !result.TryGetProperty("isError", out _) ? CallOutcome.Ok : CallOutcome.OtherError,
                0);
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or OperationCanceledException or KeyNotFoundException)
        {
            return new CallAnswer(CallOutcome.Failed, 0);
        }
    }

    public void Dispose() => http.Dispose();

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
}
