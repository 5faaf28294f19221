using Gateway.Proxy.Audit;

namespace Gateway.Proxy.Tests.Audit;

public sealed class AuditEventIdsTests
{
    private static readonly DateTimeOffset s_at = new(2026, 11, 22, 15, 30, 0, 123, TimeSpan.Zero);

    [Fact]
    public void An_id_is_a_version_7_uuid_that_starts_with_the_event_time()
    {
        var id = AuditEventIds.Next(s_at);

        Assert.Equal(7, id.Version);
        Assert.Equal(0b1000, id.Variant & 0b1100);
        // The first 48 bits, as printed, are the Unix time in milliseconds: ids sort by time like CreateVersion7's.
        Assert.Equal(s_at.ToUnixTimeMilliseconds(), Convert.ToInt64(id.ToString("N")[..12], 16));
        Assert.Equal(Guid.CreateVersion7(s_at).ToString("N")[..12], id.ToString("N")[..12]);
    }

    [Fact]
    public void Ids_made_in_the_same_millisecond_differ()
    {
        var ids = Enumerable.Range(0, 100_000).Select(_ => AuditEventIds.Next(s_at)).ToHashSet();

        Assert.Equal(100_000, ids.Count);
    }

    [Fact]
    public void A_later_millisecond_sorts_after_an_earlier_one()
    {
        var earlier = AuditEventIds.Next(s_at);
        var later = AuditEventIds.Next(s_at.AddMilliseconds(1));

        Assert.True(string.CompareOrdinal(earlier.ToString("N"), later.ToString("N")) < 0);
    }
}
