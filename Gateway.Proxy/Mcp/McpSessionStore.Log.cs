namespace Gateway.Proxy.Mcp;

internal sealed partial class McpSessionStore
{
    [LoggerMessage(Level = LogLevel.Information, Message = "MCP session {SessionId} expired on this replica")]
    private static partial void LogExpired(ILogger logger, string sessionId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "MCP session {SessionId} taken from Redis: created on another replica")]
    private static partial void LogAdopted(ILogger logger, string sessionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MCP session {SessionId} not shared (Redis unreachable: {Reason}); it works on this replica only")]
    private static partial void LogNotShared(ILogger logger, string sessionId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MCP session {SessionId}: Redis unreachable: {Reason}")]
    private static partial void LogDirectoryUnavailable(ILogger logger, string sessionId, string reason);
}
