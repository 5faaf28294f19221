using Gateway.Proxy.Pipeline;

namespace Gateway.Proxy.Mcp;

/// <summary>Who sent a message, in which session, and where messages about it go.</summary>
internal sealed class McpRequestContext
{
    public required ClientIdentity Client { get; init; }

    /// <summary>The client session; null for stateless (2026-07-28) requests.</summary>
    public McpSession? Session { get; init; }

    /// <summary>Where the backend's progress, logging and requests about this message go.</summary>
    public required IMcpMessageSink Sink { get; init; }
}
