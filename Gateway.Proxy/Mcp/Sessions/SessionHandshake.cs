using System.Text.Json;
using Gateway.Proxy.JsonRpc;
using Gateway.Proxy.Mcp.ServerInfo;
using Gateway.Proxy.Pipeline;
using Microsoft.Extensions.Options;

namespace Gateway.Proxy.Mcp.Sessions;

/// <summary>
/// The session-era handshake, the same on every transport: <c>initialize</c> → version negotiation → a new
/// <see cref="McpSession"/> in the store → the <c>initialize</c> result.
/// </summary>
internal sealed class SessionHandshake(McpSessionStore sessions, IOptionsMonitor<McpOptions> options, TimeProvider time)
{
    /// <summary>The version the client asked for when the gateway speaks it, else our latest session-era one.</summary>
    public static string NegotiateVersion(JsonRpcMessage initialize) =>
        initialize.GetParamString("protocolVersion") is { } requested && McpProtocol.IsSessionVersion(requested)
            ? requested
            : McpProtocol.LatestSessionVersion;

    /// <summary>A new session for an HTTP client; null when <see cref="McpOptions.MaxSessions"/> are live.</summary>
    public async Task<McpSession?> TryOpenAsync(JsonRpcMessage initialize, ClientIdentity client)
    {
        var session = Create(initialize, client);
        if (await sessions.TryAddAsync(session))
        {
            return session;
        }

        await session.DisposeAsync();
        return null;
    }

    /// <summary>The stdio mode's one session, which the cap never refuses.</summary>
    public McpSession Open(JsonRpcMessage initialize, ClientIdentity client)
    {
        var session = Create(initialize, client);
        sessions.Add(session);
        return session;
    }

    /// <summary>The <c>initialize</c> result for the version the session negotiated.</summary>
    public static byte[] Result(JsonRpcMessage initialize, McpSession session) =>
        ServerDescription.InitializeResult(initialize.Id, session.ProtocolVersion);

    private McpSession Create(JsonRpcMessage initialize, ClientIdentity client)
    {
        var capabilities = initialize.Params.ValueKind == JsonValueKind.Object && initialize.Params.TryGetProperty("capabilities", out var c) ? c : default;
        return new McpSession(McpSessionStore.NewSessionId(), client, NegotiateVersion(initialize), capabilities,
            options.CurrentValue.SessionBufferSize, time);
    }
}
