using Gateway.Contracts.Circuit;

namespace Gateway.Contracts.Messages;

/// <summary>
/// A transition of the authoritative breaker for one backend, decided by the leading health monitor.
/// Proxies apply only transitions whose <see cref="Sequence"/> is newer than what they already hold.
/// </summary>
/// <param name="Sequence">Monotonically increasing across all backends; fences a stale leader.</param>
/// <param name="Backend">Backend (MCP server or LLM provider) name.</param>
/// <param name="State">The new state.</param>
/// <param name="PreviousState">The state before the transition.</param>
/// <param name="TripCount">How many times the breaker has opened since it was last closed by a success.</param>
/// <param name="Reason">Why: the last error, <c>probe succeeded</c>, or the admin action.</param>
/// <param name="Actor">Who caused it: <c>monitor</c> for automatic transitions, or the admin's client id.</param>
/// <param name="At">When the monitor decided it.</param>
/// <param name="OpenUntil">For Open: when a probe becomes allowed.</param>
public sealed record CircuitStateChanged(
    long Sequence,
    string Backend,
    CircuitState State,
    CircuitState PreviousState,
    int TripCount,
    string? Reason,
    string Actor,
    DateTimeOffset At,
    DateTimeOffset? OpenUntil);

/// <summary>The monitor's view of a backend's health changed (from its active probes).</summary>
public sealed record BackendHealthChanged(
    long Sequence,
    string Backend,
    bool Healthy,
    string? Reason,
    DateTimeOffset At);

/// <summary>
/// Passive outcomes one proxy replica observed for one backend since its previous report.
/// Sent at most every 250 ms per replica; the monitor aggregates across replicas.
/// </summary>
public sealed record BackendOutcomeReport(
    string Source,
    string Backend,
    int Successes,
    int Failures,
    string? LastError,
    DateTimeOffset WindowStart,
    DateTimeOffset WindowEnd);

/// <summary>Several backends' outcome reports from one replica in one message.</summary>
public sealed record BackendOutcomeBatch(string Source, IReadOnlyList<BackendOutcomeReport> Reports);
