namespace Gateway.Contracts;

/// <summary>
/// JSON-RPC error codes the gateway itself returns. Backends' own codes are relayed unchanged; -32002 is left free
/// because MCP uses it for "resource not found". Every code is documented in the README.
/// </summary>
public static class GatewayErrorCodes
{
    public const int ParseError = -32700;
    public const int InvalidRequest = -32600;
    public const int MethodNotFound = -32601;
    public const int InvalidParams = -32602;
    public const int InternalError = -32603;

    /// <summary>Transport-level problems: missing or unknown session, unsupported protocol version, bad Accept.</summary>
    public const int TransportError = -32000;

    /// <summary>No valid API key and anonymous access is not configured (HTTP 401).</summary>
    public const int Unauthenticated = -32001;

    /// <summary>The caller's roles do not allow this tool, resource, prompt or API (HTTP 403 on admin APIs).</summary>
    public const int Forbidden = -32003;

    /// <summary>A kill switch (global, backend or tool) refuses the call.</summary>
    public const int Killed = -32004;

    /// <summary>The client's or the tool's token bucket is empty; <c>data.retryAfterMs</c> says when to retry.</summary>
    public const int RateLimited = -32005;

    /// <summary>The backend did not answer within its timeout.</summary>
    public const int BackendTimeout = -32006;

    /// <summary>The backend's circuit is open (or isolated): the call was not sent. The message names the backend.</summary>
    public const int CircuitOpen = -32007;

    /// <summary>The backend could not be reached or answered something that is not MCP.</summary>
    public const int BackendUnavailable = -32008;

    /// <summary>The request body exceeds the configured limit (HTTP 413).</summary>
    public const int RequestTooLarge = -32009;

    /// <summary>The gateway is shutting down and accepts no new work (HTTP 503).</summary>
    public const int ShuttingDown = -32010;

    /// <summary>
    /// The replica cannot audit the call: the bus is unreachable and the audit spill folder has reached its bound.
    /// Nothing was forwarded; retry later or on another replica.
    /// </summary>
    public const int AuditUnavailable = -32011;

    /// <summary><c>Mcp-Method</c>/<c>Mcp-Name</c> headers disagree with the body (HTTP 400).</summary>
    public const int HeaderMismatch = -32020;
}
