using Gateway.Contracts.Messages;

namespace Gateway.AuditService.Storage;

/// <summary>
/// Which audit records a query, an export or a page wants. Every criterion is optional; set criteria are combined
/// with AND. <see cref="From"/> is inclusive and <see cref="To"/> exclusive, so adjacent windows never overlap.
/// </summary>
internal sealed record AuditFilter
{
    public DateTimeOffset? From { get; init; }

    public DateTimeOffset? To { get; init; }

    public string? ClientId { get; init; }

    /// <summary>Tool name, resource URI or prompt name; for an LLM request, the model the client asked for.</summary>
    public string? Target { get; init; }

    /// <summary>The backend; for an LLM request, the provider that answered.</summary>
    public string? Backend { get; init; }

    public string? Method { get; init; }

    public AuditDecision? Decision { get; init; }

    public string? Status { get; init; }

    public int? ErrorCode { get; init; }
}

/// <summary>One page of records, newest first, and the cursor of the next (older) page when there is one.</summary>
internal sealed record AuditPage(IReadOnlyList<AuditEvent> Items, AuditCursor? Next);

/// <summary>
/// Counts per status per minute, latency percentiles per backend and LLM token usage per client and model over a
/// window, for the dashboard.
/// </summary>
internal sealed record AuditStats(
    DateTimeOffset From,
    DateTimeOffset To,
    IReadOnlyList<StatusCount> PerMinute,
    IReadOnlyList<BackendLatency> Latency,
    IReadOnlyList<TokenUsage> Tokens);

internal sealed record StatusCount(DateTimeOffset Minute, string Status, long Count);

/// <summary>Nearest-rank percentiles of <see cref="AuditEvent.LatencyMs"/> over calls that reached the backend.</summary>
internal sealed record BackendLatency(string Backend, long Calls, double P50, double P95, double P99);

/// <summary>
/// LLM requests of one client for one requested model (<see cref="AuditEvent.Target"/>), whatever their outcome, and
/// the tokens the providers reported for them.
/// </summary>
internal sealed record TokenUsage(string? ClientId, string? Model, long Requests, long InputTokens, long OutputTokens);
