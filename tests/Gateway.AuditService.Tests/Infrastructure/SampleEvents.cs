using Gateway.Contracts.Messages;

namespace Gateway.AuditService.Tests.Infrastructure;

/// <summary>Builds valid audit events; tests override only the fields they are about.</summary>
internal static class SampleEvents
{
    public static readonly DateTimeOffset Epoch = new(2026, 11, 1, 12, 0, 0, TimeSpan.Zero);

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

    /// <summary><paramref name="count"/> events one millisecond apart, oldest first, starting at <paramref name="start"/>.</summary>
    public static List<AuditEvent> Stream(int count, DateTimeOffset? start = null, string client = "alice") =>
        Enumerable.Range(0, count).Select(i => Call(at: (start ?? Epoch).AddMilliseconds(i), client: client)).ToList();
}
