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
/// backend offers the name), <c>invalid_request</c> (refused at the edge: unreadable, malformed or over a limit),
/// <c>gateway_error</c> (the gateway failed on its own side; not counted against the backend), <c>shutting_down</c>,
/// <c>cancelled</c> (the client went away), for admin actions
/// <c>kill_switch_engaged</c> / <c>kill_switch_released</c>, or for transitions the new state.
/// </param>
/// <param name="ErrorCode">The JSON-RPC error code returned to the client, if any; for an LLM request, the HTTP status of an error answer.</param>
/// <param name="LatencyMs">Time from receipt to answer, in milliseconds.</param>
/// <param name="ResponseBytes">Size of the answer sent to the client.</param>
/// <param name="ArgumentsSha256">Lower-case hex SHA-256 of the canonical JSON arguments.</param>
/// <param name="Arguments">Raw arguments; only present when the deployment opts in.</param>
/// <param name="Detail">Free text: the refusal reason, the transition cause, the admin change.</param>
/// <param name="User">The user behind the call (an OAuth token's subject); null for API keys and system events.</param>
/// <param name="Llm">For a request on the <c>/v1</c> endpoints: the provider attempts, tokens and timings.</param>
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
    string? User = null,
    LlmCallAudit? Llm = null);

/// <summary>
/// What an LLM request did beyond the common fields: <see cref="AuditEvent.Target"/> is the model the client asked
/// for, <see cref="AuditEvent.Backend"/> the provider that answered (null when none did).
/// </summary>
/// <param name="UpstreamModel">The model name sent to the provider that answered.</param>
/// <param name="Attempts">Every target considered, in order, with its outcome.</param>
/// <param name="Streamed">Whether the answer was a server-sent event stream.</param>
/// <param name="TimeToFirstByteMs">From receipt to the first byte of the answer sent to the client.</param>
/// <param name="InputTokens">Prompt tokens as the provider reported them.</param>
/// <param name="OutputTokens">Completion tokens as the provider reported them.</param>
public sealed record LlmCallAudit(
    string? UpstreamModel,
    IReadOnlyList<LlmAttempt> Attempts,
    bool Streamed,
    double? TimeToFirstByteMs,
    long? InputTokens,
    long? OutputTokens);

/// <summary>One provider target of an LLM request and what became of it.</summary>
/// <param name="Provider">The provider's configured name.</param>
/// <param name="Model">The upstream model name.</param>
/// <param name="Outcome">
/// <c>ok</c>, <c>error</c> (the provider answered a 4xx the client caused), <c>circuit_open</c>, <c>killed</c>,
/// <c>throttled</c> (out of rotation after a 429 with Retry-After), <c>rate_limited</c> (429), <c>unavailable</c>
/// (connection failure, 5xx, the gateway's key refused, or the provider not configured), <c>timeout</c>, <c>cut</c> (the
/// stream broke after the first byte), or <c>protocol</c> (unparseable answer).
/// </param>
/// <param name="HttpStatus">The provider's HTTP status, when it answered.</param>
public sealed record LlmAttempt(string Provider, string Model, string Outcome, int? HttpStatus);

/// <summary>Several audit events sent as one message, so a busy proxy does not publish one message per call.</summary>
public sealed record AuditEventBatch(IReadOnlyList<AuditEvent> Events);
