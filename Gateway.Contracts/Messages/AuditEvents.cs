namespace Gateway.Contracts.Messages;

/// <summary>What the gateway decided about one call or one administrative action.</summary>
public enum AuditDecision
{
    Allowed,
    Refused,
    Admin,
    Transition,
}

/// <summary>
/// One audited decision. Published by every proxy replica and the health monitor, stored once by the
/// audit service (idempotent on <see cref="EventId"/>).
/// </summary>
/// <param name="EventId">Unique id; the audit store deduplicates on it.</param>
/// <param name="Timestamp">When the decision was made (UTC).</param>
/// <param name="Source">The emitting service instance, e.g. <c>proxy/3f2a</c>.</param>
/// <param name="RequestId">The JSON-RPC request id (as text) or the HTTP trace id.</param>
/// <param name="SessionId">The client's MCP session, when there is one.</param>
/// <param name="ClientId">The authenticated client, or <c>anonymous</c>, or the admin who acted.</param>
/// <param name="Method">JSON-RPC method (<c>tools/call</c>, ...) or admin action (<c>admin/kill-switch</c>, ...).</param>
/// <param name="Target">Tool name, resource URI or prompt name the call was about.</param>
/// <param name="Backend">The backend that owns <paramref name="Target"/>.</param>
/// <param name="Decision">Allowed, refused, an admin action, or a breaker transition.</param>
/// <param name="Status">
/// <c>ok</c>, <c>error</c> (backend answered with an error), <c>killed</c>, <c>rate_limited</c>, <c>forbidden</c>,
/// <c>unauthenticated</c>, <c>circuit_open</c>, <c>timeout</c>, <c>backend_unavailable</c>, <c>unknown_target</c> (no
/// backend offers the name), <c>shutting_down</c>, <c>cancelled</c> (the client went away), for admin actions
/// <c>kill_switch_engaged</c> / <c>kill_switch_released</c>, or for transitions the new state.
/// </param>
/// <param name="ErrorCode">The JSON-RPC error code returned to the client, if any.</param>
/// <param name="LatencyMs">Time from receipt to answer, in milliseconds.</param>
/// <param name="ResponseBytes">Size of the answer sent to the client.</param>
/// <param name="ArgumentsSha256">Lower-case hex SHA-256 of the canonical JSON arguments.</param>
/// <param name="Arguments">Raw arguments; only present when the deployment opts in.</param>
/// <param name="Detail">Free text: the refusal reason, the transition cause, the admin change.</param>
/// <param name="User">The user behind the call (an OAuth token's subject); null for API keys and system events.</param>
public sealed record AuditEvent(
    Guid EventId,
    DateTimeOffset Timestamp,
    string Source,
    string? RequestId,
    string? SessionId,
    string? ClientId,
    string Method,
    string? Target,
    string? Backend,
    AuditDecision Decision,
    string Status,
    int? ErrorCode,
    double LatencyMs,
    long ResponseBytes,
    string? ArgumentsSha256,
    string? Arguments,
    string? Detail,
    string? User = null);

/// <summary>Several audit events sent as one message, so a busy proxy does not publish one message per call.</summary>
public sealed record AuditEventBatch(IReadOnlyList<AuditEvent> Events);
