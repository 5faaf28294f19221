using Gateway.Proxy.Audit;
using Gateway.Proxy.Circuit;
using Gateway.Proxy.Pipeline.KillSwitches;

namespace Gateway.Proxy.Pipeline;

/// <summary>Why the pipeline refused a call; each transport renders it in its own protocol.</summary>
public enum RefusalKind
{
    /// <summary>The replica is draining; retry on another.</summary>
    ShuttingDown,

    /// <summary>A kill switch stops the call (<see cref="Refusal.KillSwitch"/>).</summary>
    Killed,

    /// <summary>A request bucket is empty (<see cref="Refusal.RetryAfter"/>, <see cref="Refusal.Bucket"/>).</summary>
    RateLimited,

    /// <summary>The client's LLM token budget for the current minute is spent (<see cref="Refusal.RetryAfter"/>).</summary>
    TokenBudgetExhausted,

    /// <summary>No role of the client allows the target.</summary>
    Forbidden,

    /// <summary>The target's breaker is open or isolated (<see cref="Refusal.Circuit"/>).</summary>
    CircuitOpen,

    /// <summary>Nothing behind the gateway offers the name.</summary>
    UnknownTarget,

    /// <summary>The bus is down and the audit spill folder is at its bound: the call could not be audited.</summary>
    AuditUnavailable,
}

/// <summary>
/// A call the pipeline did not let through: what stopped it, the message shown to the client, and the details a
/// transport needs to render it (JSON-RPC error data, an HTTP status, a <c>Retry-After</c> header).
/// </summary>
public sealed record Refusal(RefusalKind Kind, string Message)
{
    /// <summary>A call the replica could not audit (<see cref="AuditRecorder.HasRoom"/>), refused before anything else spends on it.</summary>
    public static Refusal AuditUnavailable { get; } = new(RefusalKind.AuditUnavailable,
        "The gateway cannot audit calls right now (audit bus down, spill folder full); nothing was forwarded. Retry later or on another replica.");

    /// <summary>The engaged switch, for <see cref="RefusalKind.Killed"/>.</summary>
    public KillSwitch? KillSwitch { get; init; }

    /// <summary>How long until the call may succeed, for rate limits and token budgets.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>The empty bucket (<c>client</c>, <c>tool</c> or <c>tokens</c>), for rate limits and token budgets.</summary>
    public string? Bucket { get; init; }

    /// <summary>The open circuit, for <see cref="RefusalKind.CircuitOpen"/>.</summary>
    public CircuitOpenRejection? Circuit { get; init; }

    /// <summary>The audit event's status for this refusal.</summary>
    public string AuditStatus => Kind switch
    {
        RefusalKind.ShuttingDown => Audit.AuditStatus.ShuttingDown,
        RefusalKind.Killed => Audit.AuditStatus.Killed,
        RefusalKind.RateLimited or RefusalKind.TokenBudgetExhausted => Audit.AuditStatus.RateLimited,
        RefusalKind.Forbidden => Audit.AuditStatus.Forbidden,
        RefusalKind.CircuitOpen => Audit.AuditStatus.CircuitOpen,
        RefusalKind.AuditUnavailable => Audit.AuditStatus.AuditUnavailable,
        _ => Audit.AuditStatus.UnknownTarget,
    };
}
