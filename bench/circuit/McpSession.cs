using System.Text.Json;
using Gateway.Testing;

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
    private const int CircuitOpenCode = -32007;
    private readonly McpHttpSession _session = new(http, "circuit-bench");

    public Task InitializeAsync() => _session.InitializeAsync();

    public async Task<CallAnswer> CallToolAsync(string tool, CancellationToken cancellationToken)
    {
        try
        {
            var answer = await _session.CallToolAsync(tool, cancellationToken);
            if (answer.TryGetProperty("error", out var error))
            {
                var code = error.GetProperty("code").GetInt32();
                return new CallAnswer(code == CircuitOpenCode ? CallOutcome.CircuitOpen : CallOutcome.OtherError, code);
            }

            return new CallAnswer(
                answer.TryGetProperty("result", out var result) && !result.TryGetProperty("isError", out _) ? CallOutcome.Ok : CallOutcome.OtherError,
                0);
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or OperationCanceledException or KeyNotFoundException)
        {
            return new CallAnswer(CallOutcome.Failed, 0);
        }
    }

    public void Dispose() => _session.Dispose();
}
