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
    public const string Cancelled = "cancelled";
    public const string KillSwitchEngaged = "kill_switch_engaged";
    public const string KillSwitchReleased = "kill_switch_released";
}
