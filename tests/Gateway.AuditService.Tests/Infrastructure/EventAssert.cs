using Gateway.Contracts.Messages;

namespace Gateway.AuditService.Tests.Infrastructure;

/// <summary>
/// Field-by-field equality of audit events: record equality compares <see cref="LlmCallAudit.Attempts"/> by reference,
/// so an event read back from a store never equals the one written once it has attempts.
/// </summary>
internal static class EventAssert
{
    public static void Same(AuditEvent expected, AuditEvent? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected with { Llm = null }, actual with { Llm = null });
        if (expected.Llm is null)
        {
            Assert.Null(actual.Llm);
            return;
        }

        Assert.NotNull(actual.Llm);
        Assert.Equal(expected.Llm with { Attempts = [] }, actual.Llm with { Attempts = [] });
        Assert.Equal(expected.Llm.Attempts, actual.Llm.Attempts);
    }

    public static void Same(IEnumerable<AuditEvent> expected, IEnumerable<AuditEvent> actual)
    {
        var left = expected.ToList();
        var right = actual.ToList();
        Assert.Equal(left.Count, right.Count);
        for (var i = 0; i < left.Count; i++)
        {
            Same(left[i], right[i]);
        }
    }
}
