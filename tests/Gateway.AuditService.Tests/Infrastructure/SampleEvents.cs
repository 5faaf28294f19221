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

    private static DateTimeOffset WholeMinute(DateTimeOffset at) => at.AddTicks(-(at.Ticks % TimeSpan.TicksPerMinute));

    /// <summary><paramref name="count"/> events one millisecond apart, oldest first, starting at <paramref name="start"/>.</summary>
    public static List<AuditEvent> Stream(int count, DateTimeOffset? start = null, string client = "alice") =>
        Enumerable.Range(0, count).Select(i => Call(at: (start ?? Epoch).AddMilliseconds(i), client: client)).ToList();
}
