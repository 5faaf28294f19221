using Gateway.AuditService.Ingestion;

namespace Gateway.AuditService.Tests.Ingestion;

public sealed class BusStallDetectorTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public void An_unhealthy_bus_is_not_stalled_before_the_timeout()
    {
        var detector = new BusStallDetector(Timeout, Start);

        Assert.False(detector.Observe(healthy: false, Start.AddSeconds(59)));
    }

    [Fact]
    public void A_bus_never_healthy_since_start_is_stalled_at_the_timeout()
    {
        var detector = new BusStallDetector(Timeout, Start);

        Assert.True(detector.Observe(healthy: false, Start.AddSeconds(60)));
    }

    [Fact]
    public void A_healthy_reading_restarts_the_count()
    {
        var detector = new BusStallDetector(Timeout, Start);

        detector.Observe(healthy: false, Start.AddSeconds(50));
        detector.Observe(healthy: true, Start.AddSeconds(55));

        Assert.False(detector.Observe(healthy: false, Start.AddSeconds(110)));
        Assert.True(detector.Observe(healthy: false, Start.AddSeconds(115)));
    }

    [Fact]
    public void A_healthy_bus_is_never_stalled()
    {
        var detector = new BusStallDetector(Timeout, Start);

        Assert.False(detector.Observe(healthy: true, Start.AddHours(5)));
    }
}
