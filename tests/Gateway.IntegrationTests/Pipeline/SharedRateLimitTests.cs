using Gateway.Contracts.Configuration;
using Gateway.Proxy.Pipeline.RateLimiting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gateway.IntegrationTests.Pipeline;

/// <summary>The Lua token buckets against real Garnet: shared by replicas, atomic over both buckets, refilled by time.</summary>
[Collection(PipelineInfrastructure.Name)]
public sealed class SharedRateLimitTests(PipelineInfrastructureFixture infrastructure)
{
    // The clock is passed in explicitly, so refill is tested on chosen instants, never on the wall clock.
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Two_replicas_spend_one_shared_client_bucket()
    {
        using var redisA = infrastructure.ConnectRedis();
        using var redisB = infrastructure.ConnectRedis();
        var replicaA = new RedisTokenBuckets(redisA);
        var replicaB = new RedisTokenBuckets(redisB);
        var limits = new RateLimitOptions { ClientBurst = 3, ClientPerSecond = 0.001, ToolBurst = 100, ToolPerSecond = 100 };
        var client = NewClient();

        var verdicts = new[]
        {
            await replicaA.TakeAsync(client, "echo", limits, Now),
            await replicaB.TakeAsync(client, "echo", limits, Now),
            await replicaA.TakeAsync(client, "other", limits, Now),
            await replicaB.TakeAsync(client, "echo", limits, Now),
        };

        Assert.Equal([1, 1, 1, 0], verdicts.Select(v => v.Tokens));
        Assert.Equal(RateLimitBucket.Client, verdicts[3].Bucket);
        Assert.True(verdicts[3].RetryAfter > TimeSpan.Zero);
    }

    [Fact]
    public async Task A_call_refused_by_its_tool_bucket_spends_nothing_from_the_client_bucket()
    {
        using var redis = infrastructure.ConnectRedis();
        var buckets = new RedisTokenBuckets(redis);
        var limits = new RateLimitOptions { ClientBurst = 2, ClientPerSecond = 0.001, ToolBurst = 1, ToolPerSecond = 0.001 };
        var client = NewClient();

        var first = await buckets.TakeAsync(client, "t1", limits, Now);
        var refusedByTool = await buckets.TakeAsync(client, "t1", limits, Now);
        var second = await buckets.TakeAsync(client, "t2", limits, Now);
        var refusedByClient = await buckets.TakeAsync(client, "t3", limits, Now);

        Assert.Equal(1, first.Tokens);
        Assert.Equal((0, RateLimitBucket.Tool), (refusedByTool.Tokens, refusedByTool.Bucket));
        Assert.Equal(1, second.Tokens);
        Assert.Equal((0, RateLimitBucket.Client), (refusedByClient.Tokens, refusedByClient.Bucket));
    }

    [Fact]
    public async Task Tokens_come_back_at_the_configured_rate_and_retry_after_says_when()
    {
        using var redis = infrastructure.ConnectRedis();
        var buckets = new RedisTokenBuckets(redis);
        var limits = new RateLimitOptions { ClientBurst = 1, ClientPerSecond = 2, ToolBurst = 100, ToolPerSecond = 100 };
        var client = NewClient();

        Assert.Equal(1, (await buckets.TakeAsync(client, null, limits, Now)).Tokens);
        var refused = await buckets.TakeAsync(client, null, limits, Now);
        var tooEarly = await buckets.TakeAsync(client, null, limits, Now.AddMilliseconds(400));
        var onTime = await buckets.TakeAsync(client, null, limits, Now.AddMilliseconds(500));

        Assert.Equal(0, refused.Tokens);
        Assert.Equal(TimeSpan.FromMilliseconds(500), refused.RetryAfter);
        Assert.Equal(0, tooEarly.Tokens);
        Assert.Equal(TimeSpan.FromMilliseconds(100), tooEarly.RetryAfter);
        Assert.Equal(1, onTime.Tokens);
    }

    [Fact]
    public async Task A_take_of_several_tokens_gets_what_both_buckets_hold_and_spends_it_from_both()
    {
        using var redis = infrastructure.ConnectRedis();
        var buckets = new RedisTokenBuckets(redis);
        var limits = new RateLimitOptions { ClientBurst = 10, ClientPerSecond = 0.001, ToolBurst = 3, ToolPerSecond = 0.001 };
        var client = NewClient();

        var first = await buckets.TakeAsync(client, "t1", limits, Now, wanted: 5);
        var toolEmpty = await buckets.TakeAsync(client, "t1", limits, Now, wanted: 5);
        var otherTool = await buckets.TakeAsync(client, "t2", limits, Now, wanted: 20);

        Assert.Equal(3, first.Tokens);
        Assert.Equal((0, RateLimitBucket.Tool), (toolEmpty.Tokens, toolEmpty.Bucket));
        // 10 - 3 client tokens left, capped by t2's burst of 3.
        Assert.Equal(3, otherTool.Tokens);
        Assert.Equal(4, (int)double.Parse((string)(await redis.GetDatabase().HashGetAsync($"gateway:rl:{{{client}}}", "t"))!,
            System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Limiter_falls_back_to_per_replica_buckets_while_Redis_is_down_and_returns_to_shared_ones()
    {
        using var redis = infrastructure.ConnectRedis();
        var gateway = new GatewayOptions { RateLimits = new RateLimitOptions { ClientBurst = 1000, ClientPerSecond = 1000 } };
        using var limiter = new CallRateLimiter(
            new StaticOptionsMonitor<GatewayOptions>(gateway),
            Options.Create(new RateLimitingOptions { RedisTimeout = TimeSpan.FromMilliseconds(200), FallbackDuration = TimeSpan.Zero }),
            TimeProvider.System,
            NullLogger<CallRateLimiter>.Instance,
            new RedisTokenBuckets(redis));
        var client = NewClient();

        var before = await limiter.AcquireAsync(client, "echo");
        await infrastructure.App.StopResourceAsync("redis");
        RateLimitVerdict during;
        try
        {
            during = await limiter.AcquireAsync(client, "echo");
        }
        finally
        {
            await infrastructure.App.StartResourceAsync("redis");
        }

        // The client reconnects on its own; until it does, calls keep being decided locally.
        RateLimitVerdict after;
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            while (!(after = await limiter.AcquireAsync(client, "echo")).Shared)
            {
                await Task.Delay(50, deadline.Token);
            }
        }

        Assert.Equal((true, true), (before.Allowed, before.Shared));
        Assert.Equal((true, false), (during.Allowed, during.Shared));
        Assert.Equal((true, true), (after.Allowed, after.Shared));
    }

    private static string NewClient() => "client-" + Guid.NewGuid().ToString("N");
}

internal sealed class StaticOptionsMonitor<T>(T value) : IOptionsMonitor<T>
{
    public T CurrentValue => value;

    public T Get(string? name) => value;

    public IDisposable? OnChange(Action<T, string?> listener) => null;
}
