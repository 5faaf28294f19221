using Gateway.Contracts.Configuration;
using Gateway.Proxy.Pipeline.RateLimiting;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using StackExchange.Redis.Profiling;

namespace Gateway.IntegrationTests.Pipeline;

/// <summary>
/// Leased tokens against real Garnet: a busy pair spends without a round trip per call, replicas together never
/// spend more than the shared bucket holds, and unspent leases are dropped. The clock is a manual one, so lease sizes
/// and lifetimes follow from the test's steps, not from the wall clock.
/// </summary>
[Collection(PipelineInfrastructure.Name)]
public sealed class SharedTokenLeasesTests(PipelineInfrastructureFixture infrastructure)
{
    // Refill so slow that no token comes back during a test.
    private const double NoRefill = 0.001;

    [Fact]
    public async Task A_busy_client_spends_leased_tokens_with_one_Redis_call_per_lease_not_per_call()
    {
        using var redis = infrastructure.ConnectRedis();
        // One session for the whole test records every command of the connection, whichever call or thread sends it.
        var profiling = new ProfilingSession();
        redis.RegisterProfiler(() => profiling);
        var leases = new SharedTokenLeases(new RedisTokenBuckets(redis),
            new RateLimitOptions { ClientBurst = 1000, ClientPerSecond = NoRefill, ToolBurst = 1000, ToolPerSecond = NoRefill },
            new RateLimitingOptions { MaxLeaseShare = 0.1 }, new FakeTimeProvider());
        var client = NewClient();

        var verdicts = new List<RateLimitVerdict>();
        for (var i = 0; i < 300; i++)
        {
            verdicts.Add(await leases.AcquireAsync(client, "echo"));
        }

        Assert.All(verdicts, v => Assert.Equal((true, true), (v.Allowed, v.Shared)));
        // Leases double while they are used up within the window (1, 2, 4 … 64, then 100 = a tenth of the burst):
        // about a dozen round trips for 300 calls.
        var scripts = profiling.FinishProfiling().Count(c => c.Command.StartsWith("EVAL", StringComparison.Ordinal));
        Assert.InRange(scripts, 5, 15);
    }

    [Fact]
    public async Task Two_replicas_together_spend_exactly_the_shared_burst()
    {
        using var redisA = infrastructure.ConnectRedis();
        using var redisB = infrastructure.ConnectRedis();
        var limits = new RateLimitOptions { ClientBurst = 50, ClientPerSecond = NoRefill, ToolBurst = 50, ToolPerSecond = NoRefill };
        var options = new RateLimitingOptions { MaxLeaseShare = 0.5 };
        var time = new FakeTimeProvider();
        var replicaA = new SharedTokenLeases(new RedisTokenBuckets(redisA), limits, options, time);
        var replicaB = new SharedTokenLeases(new RedisTokenBuckets(redisB), limits, options, time);
        var client = NewClient();

        var verdicts = new List<RateLimitVerdict>();
        for (var i = 0; i < 100; i++)
        {
            verdicts.Add(await replicaA.AcquireAsync(client, "echo"));
            verdicts.Add(await replicaB.AcquireAsync(client, "echo"));
        }

        // Whatever one replica leased and the other could not have, it spent later: nothing over, nothing lost.
        Assert.Equal(50, verdicts.Count(v => v.Allowed));
        var refusals = verdicts.Where(v => !v.Allowed).ToList();
        Assert.All(refusals, v => Assert.Equal((true, RateLimitBucket.Client), (v.Shared, v.Bucket)));
        Assert.All(refusals, v => Assert.True(v.RetryAfter > TimeSpan.Zero));
    }

    [Fact]
    public async Task Leased_tokens_not_spent_within_the_lease_lifetime_are_dropped()
    {
        using var redis = infrastructure.ConnectRedis();
        var time = new FakeTimeProvider();
        var options = new RateLimitingOptions { MaxLeaseShare = 1, LeaseLifetime = TimeSpan.FromSeconds(1) };
        var leases = new SharedTokenLeases(new RedisTokenBuckets(redis),
            new RateLimitOptions { ClientBurst = 7, ClientPerSecond = NoRefill, ToolBurst = 7, ToolPerSecond = NoRefill }, options, time);
        var client = NewClient();

        // Leases of 1, 2 and 4 tokens (the third fetched ahead by the third call): the bucket's 7 are taken, 4 calls
        // spent, 3 held by this replica.
        for (var i = 0; i < 4; i++)
        {
            Assert.True((await leases.AcquireAsync(client, "echo")).Allowed);
        }

        time.Advance(options.LeaseLifetime);
        var afterLifetime = await leases.AcquireAsync(client, "echo");

        Assert.Equal((false, RateLimitBucket.Client), (afterLifetime.Allowed, afterLifetime.Bucket));
    }

    [Fact]
    public async Task A_quiet_pair_loses_its_lease_at_the_sweep_once_it_holds_nothing_to_spend_and_a_busy_one_keeps_it()
    {
        using var redis = infrastructure.ConnectRedis();
        var time = new FakeTimeProvider();
        var options = new RateLimitingOptions { MaxLeaseShare = 0.1, LeaseLifetime = TimeSpan.FromSeconds(1) };
        var leases = new SharedTokenLeases(new RedisTokenBuckets(redis),
            new RateLimitOptions { ClientBurst = 1000, ClientPerSecond = NoRefill, ToolBurst = 1000, ToolPerSecond = NoRefill }, options, time);
        var client = NewClient();
        for (var i = 0; i < 10; i++)
        {
            Assert.True((await leases.AcquireAsync(client, $"resource-{i % 2}")).Allowed);
        }

        leases.EvictIdle();
        var busy = leases.Count;
        // Quiet for a lease lifetime at a time: a fetch started ahead may still be under way (on the real clock), and
        // the tokens it brings live a lifetime from when it lands.
        await WaitUntil(() =>
        {
            time.Advance(options.LeaseLifetime);
            leases.EvictIdle();
            return leases.Count == 0;
        });
        var afterwards = await leases.AcquireAsync(client, "resource-0");

        Assert.Equal(2, busy);
        Assert.True(afterwards.Allowed);
        Assert.Equal(1, leases.Count);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(10, deadline.Token);
        }
    }

    private static string NewClient() => "client-" + Guid.NewGuid().ToString("N");
}
