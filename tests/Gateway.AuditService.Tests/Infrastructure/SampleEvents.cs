using Gateway.Contracts.Messages;

namespace Gateway.AuditService.Tests.Infrastructure;

/// <summary>Builds valid audit events; tests override only the fields they are about.</summary>
internal static class SampleEvents
{
    /// <summary>
    /// The default time of a sample event: the clock every audit service under test runs on (<see cref="TimeProvider.System"/>)
    /// when the tests start, to the whole minute (the stats bucket per minute). Never a calendar date: retention deletes events older than its window
    /// as soon as they are stored, so a fixed date passes only until it ages out.
    /// </summary>
    public static readonly DateTimeOffset Epoch = WholeMinute(TimeProvider.System.GetUtcNow());

    public static AuditEvent Call(
        DateTimeOffset? at = null,
        string client = "alice",
        string target = "echo",
        string backend = "everything",
        string status = "ok",
        AuditDecision decision = AuditDecision.Allowed,
        int? errorCode = null,
        double latencyMs = 12.5,
        Guid? id = null) => new(
        EventId: id ?? Guid.NewGuid(),
        Timestamp: at ?? Epoch,
        Source: "proxy/test",
        RequestId: "7",
        SessionId: "session-1",
        ClientId: client,
        Method: "tools/call",
        Target: target,
        Backend: backend,
        Decision: decision,
        Status: status,
        ErrorCode: errorCode,
        LatencyMs: latencyMs,
        ResponseBytes: 321,
        ArgumentsSha256: new string('a', 64),
        Arguments: null,
        Detail: null);

    /// <summary>
    /// An LLM request that fell over from <c>openai-a</c> (503) to <c>anthropic-b</c>, which streamed the answer:
    /// <c>Target</c> is the requested model, <c>Backend</c> the provider that answered.
    /// </summary>
    public static AuditEvent LlmCall(
        DateTimeOffset? at = null,
        string client = "alice",
        string model = "demo-chat",
        string? provider = "anthropic-b",
        long? inputTokens = 120,
        long? outputTokens = 48,
        string status = "ok") => Call(at: at, client: client, target: model, backend: provider!, status: status) with
    {
        Method = "chat.completions",
        SessionId = null,
        ArgumentsSha256 = null,
        Llm = new LlmCallAudit(
            UpstreamModel: "claude-haiku-4-5",
            Attempts: [new LlmAttempt("openai-a", "gpt-4o-mini", "unavailable", 503), new LlmAttempt("anthropic-b", "claude-haiku-4-5", "ok", 200)],
            Streamed: true,
            TimeToFirstByteMs: 183.25,
            InputTokens: inputTokens,
            OutputTokens: outputTokens),
    };

    private static DateTimeOffset WholeMinute(DateTimeOffset at) => at.AddTicks(-(at.Ticks % TimeSpan.TicksPerMinute));

    /// <summary><paramref name="count"/> events one millisecond apart, oldest first, starting at <paramref name="start"/>.</summary>
    public static List<AuditEvent> Stream(int count, DateTimeOffset? start = null, string client = "alice") =>
        Enumerable.Range(0, count).Select(i => Call(at: (start ?? Epoch).AddMilliseconds(i), client: client)).ToList();
}
