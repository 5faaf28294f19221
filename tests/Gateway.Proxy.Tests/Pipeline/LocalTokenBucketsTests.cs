using Gateway.Contracts.Configuration;
using Gateway.Proxy.Pipeline.RateLimiting;

namespace Gateway.Proxy.Tests.Pipeline;

public sealed class LocalTokenBucketsTests
{
    // Rates so slow that no token comes back during a test: every assertion is about the burst, never about time.
    private static RateLimitOptions Limits(int clientBurst, int toolBurst) => new()
    {
        ClientBurst = clientBurst,
        ClientPerSecond = 0.001,
        ToolBurst = toolBurst,
        ToolPerSecond = 0.001,
    };

    [Fact]
    public void ClientBucketRefusesOnceItsBurstIsSpentAndSaysWhenToRetry()
    {
        using var buckets = new LocalTokenBuckets(Limits(clientBurst: 2, toolBurst: 100));

        Assert.True(buckets.Acquire("c", "a").Allowed);
        Assert.True(buckets.Acquire("c", "b").Allowed);
        var refused = buckets.Acquire("c", "c");

        Assert.False(refused.Allowed);
        Assert.Equal(RateLimitBucket.Client, refused.Bucket);
        Assert.True(refused.RetryAfter > TimeSpan.Zero);
        Assert.False(refused.Shared);
    }

    [Fact]
    public void ToolBucketIsPerClientAndTool()
    {
        using var buckets = new LocalTokenBuckets(Limits(clientBurst: 100, toolBurst: 1));

        Assert.True(buckets.Acquire("c1", "t").Allowed);
        Assert.Equal(RateLimitBucket.Tool, buckets.Acquire("c1", "t").Bucket);
        Assert.True(buckets.Acquire("c1", "other").Allowed);
        Assert.True(buckets.Acquire("c2", "t").Allowed);
    }

    [Fact]
    public async Task BucketsThatAreFullAgainAreDroppedAndSpentOnesKept()
    {
        // The client bucket refills within a microsecond, the tool bucket never.
        using var buckets = new LocalTokenBuckets(new RateLimitOptions
        {
            ClientBurst = 1,
            ClientPerSecond = 1_000_000,
            ToolBurst = 1,
            ToolPerSecond = 0.001,
        });
        Assert.True(buckets.Acquire("c", "t").Allowed);
        var held = buckets.Count;

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (buckets.Count == held)
        {
            await Task.Delay(1, deadline.Token);
            buckets.EvictFull();
        }

        Assert.Equal((2, 1), (held, buckets.Count));
        // The spent tool bucket was kept: the pair is still refused.
        Assert.Equal(RateLimitBucket.Tool, buckets.Acquire("c", "t").Bucket);
    }

    [Fact]
    public void CallsWithoutATargetDrawOnTheClientBucketOnly()
    {
        using var buckets = new LocalTokenBuckets(Limits(clientBurst: 1, toolBurst: 1));

        Assert.True(buckets.Acquire("c", null).Allowed);
        Assert.Equal(RateLimitBucket.Client, buckets.Acquire("c", null).Bucket);
    }
}
