using Gateway.Contracts;
using Gateway.Proxy.Pipeline;

namespace Gateway.Proxy.Mcp.Http;

/// <summary>The session a request names in <c>Mcp-Session-Id</c>, with the HTTP answers for a missing or unknown one.</summary>
internal sealed class HttpSessions(McpSessionStore sessions)
{
    /// <summary>
    /// The caller's live session, or null when refused (written): 400 without the header, 404 when unknown, ended or
    /// expired, 503 when another replica's session cannot be taken here (Redis unreachable, or this replica full).
    /// </summary>
    public async Task<McpSession?> FindAsync(HttpContext http, ClientIdentity client)
    {
        var id = http.Request.Headers[McpProtocol.SessionIdHeader].ToString();
        if (id.Length == 0)
        {
            await HttpAnswers.WriteErrorAsync(http, StatusCodes.Status400BadRequest, GatewayErrorCodes.TransportError,
                "Bad Request: Mcp-Session-Id header is required (send initialize first).");
            return null;
        }

        var lookup = await sessions.FindAsync(id);
        switch (lookup.Status)
        {
            case SessionLookupStatus.Unavailable:
                await HttpAnswers.WriteErrorAsync(http, StatusCodes.Status503ServiceUnavailable, GatewayErrorCodes.TransportError,
                    "Session store unavailable: this replica cannot look the session up now; retry, or retry on another replica.");
                return null;
            case SessionLookupStatus.Full:
                await HttpAnswers.WriteErrorAsync(http, StatusCodes.Status503ServiceUnavailable, GatewayErrorCodes.TransportError,
                    "Too many MCP sessions on this replica: retry later, or on another replica.");
                return null;
        }

        // A session belongs to the client that opened it; to anyone else it does not exist.
        var session = lookup.Session;
        if (session is null || !session.Client.IsSameCaller(client))
        {
            await HttpAnswers.WriteErrorAsync(http, StatusCodes.Status404NotFound, GatewayErrorCodes.TransportError,
                "Session not found or expired: initialize a new session.");
            return null;
        }

        // Any supported session-era version is accepted (checked before), as the SDKs do: clients are known to
        // send an older version header than the one they negotiated.
        return session;
    }

    public Task<bool> EndAsync(McpSession session) => sessions.RemoveAsync(session.Id);

    /// <summary>The session id the request names, unchecked (null when none): for the audit event of a refusal made before the lookup.</summary>
    public static string? Named(HttpContext http) =>
        http.Request.Headers[McpProtocol.SessionIdHeader].ToString() is { Length: > 0 } session ? session : null;
}
