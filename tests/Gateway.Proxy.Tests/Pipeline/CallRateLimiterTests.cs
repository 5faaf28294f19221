using Gateway.Contracts.Configuration;
using Gateway.Proxy.Pipeline.RateLimiting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Proxy.Tests.Pipeline;

public sealed class CallRateLimiterTests
{
    [Fact]
    public async Task Every_sweep_interval_the_buckets_of_quiet_pairs_are_dropped()
    {
        var time = new FakeTimeProvider();
        // Buckets that refill within a microsecond: full again as soon as the calls are over.
        var gateway = new GatewayOptions
        {
            RateLimits = new RateLimitOptions { ClientBurst = 1, ClientPerSecond = 1_000_000, ToolBurst = 1, ToolPerSecond = 1_000_000 },
        };
        var options = new RateLimitingOptions { IdleSweepInterval = TimeSpan.FromSeconds(30) };
        using var limiter = new CallRateLimiter(new TestOptionsMonitor<GatewayOptions>(gateway),
            Microsoft.Extensions.Options.Options.Create(options), time, NullLogger<CallRateLimiter>.Instance);

        // Resource URIs read through a template: a new (client, target) pair each.
        for (var i = 0; i < 100; i++)
        {
            await limiter.AcquireAsync("c", $"test://resource/{i}");
        }

        await Task.Delay(5);
        time.Advance(options.IdleSweepInterval - TimeSpan.FromSeconds(1));
        var beforeTheSweep = limiter.HeldBucketsAndLeases;
        time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(101, beforeTheSweep);
        Assert.Equal(0, limiter.HeldBucketsAndLeases);
    }
}
