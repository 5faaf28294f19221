namespace Gateway.Proxy.Mcp;

/// <summary>The one log line every MCP front-end type writes when a backend fails it (calls, fan-outs, relays).</summary>
internal static partial class BackendFailureLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Backend {Backend} failed ({Kind}): {Reason}")]
    public static partial void BackendFailed(ILogger logger, string backend, string kind, string reason);
}
