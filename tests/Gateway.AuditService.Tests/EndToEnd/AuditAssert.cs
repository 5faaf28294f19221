using Gateway.Contracts.Messages;

namespace Gateway.AuditService.Tests.EndToEnd;

internal static class AuditAssert
{
    /// <summary>Every published event is stored, and none twice (publishers resend, brokers redeliver).</summary>
    public static void StoredExactlyOnce(IReadOnlyCollection<AuditEvent> published, IReadOnlyCollection<AuditEvent> stored)
    {
        Assert.Equal(published.Count, stored.Count);
        Assert.Equal(published.Select(e => e.EventId).Order(), stored.Select(e => e.EventId).Order());
    }
}
