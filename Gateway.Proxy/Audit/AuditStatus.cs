namespace Gateway.Proxy.Audit;

/// <summary>The <c>Status</c> values the proxy puts on audit events (see <c>AuditEvent.Status</c>).</summary>
public static class AuditStatus
{
    public const string Ok = "ok";
    public const string Unauthenticated = "unauthenticated";
    public const string Error = "error";
    public const string Killed = "killed";
    public const string RateLimited = "rate_limited";
    public const string Forbidden = "forbidden";
    public const string CircuitOpen = "circuit_open";
    public const string UnknownTarget = "unknown_target";
    public const string Timeout = "timeout";
    public const string BackendUnavailable = "backend_unavailable";
    public const string ShuttingDown = "shutting_down";
    public const string AuditUnavailable = "audit_unavailable";
    public const string Cancelled = "cancelled";

    /// <summary>The gateway failed on its own side of a call (-32603); not counted against the backend.</summary>
    public const string GatewayError = "gateway_error";

    /// <summary>The request itself was malformed (an LLM body that is not JSON, has no model, ...), refused at the edge.</summary>
    public const string InvalidRequest = "invalid_request";

    /// <summary>An LLM stream broke after its first byte reached the client.</summary>
    public const string StreamCut = "stream_cut";
    public const string KillSwitchEngaged = "kill_switch_engaged";
    public const string KillSwitchReleased = "kill_switch_released";

    /// <summary>A kill switch this replica knew was written back after Redis lost its data.</summary>
    public const string KillSwitchReasserted = "kill_switch_reasserted";
}
