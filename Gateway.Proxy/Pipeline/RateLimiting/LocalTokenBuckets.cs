using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Gateway.Contracts.Configuration;

namespace Gateway.Proxy.Pipeline.RateLimiting;

/// <summary>
/// This replica's own token buckets, used while Redis is unreachable: the same limits, enforced per replica.
/// Built on the framework's <see cref="TokenBucketRateLimiter"/>, replenished on demand rather than by a timer per
/// bucket, so idle partitions cost nothing.
/// </summary>
/// <remarks>
/// Unlike the Redis script, the two buckets are not spent atomically: a call the client bucket refuses after the
/// tool bucket allowed it has spent one tool token. That over-counts only during an outage.
/// </remarks>
public sealed class LocalTokenBuckets(RateLimitOptions limits) : IDisposable
{
    private readonly ConcurrentDictionary<string, TokenBucketRateLimiter> _clients = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Client, string Target), TokenBucketRateLimiter> _tools = new();

    public RateLimitOptions Limits { get; } = limits;

    public RateLimitVerdict Acquire(string clientId, string? target)
    {
        if (target is not null)
        {
            var tool = _tools.GetOrAdd((clientId, target), static (_, l) => Create(l.ToolPerSecond, l.ToolBurst), Limits);
            if (!TryTake(tool, out var toolRetry))
            {
                return new RateLimitVerdict(false, toolRetry, RateLimitBucket.Tool, Shared: false);
            }
        }

        var client = _clients.GetOrAdd(clientId, static (_, l) => Create(l.ClientPerSecond, l.ClientBurst), Limits);
        return TryTake(client, out var clientRetry)
            ? RateLimitVerdict.AllowedLocally
            : new RateLimitVerdict(false, clientRetry, RateLimitBucket.Client, Shared: false);
    }

    /// <summary>Buckets currently held: one per client and one per (client, target) pair seen since the last sweep.</summary>
    public int Count => _clients.Count + _tools.Count;

    /// <summary>
    /// Drops the buckets that are full again: a new bucket would start full too, so nothing is forgotten. Without
    /// this, memory would follow every pair ever seen (resource URIs read through templates are unbounded).
    /// </summary>
    /// <remarks>
    /// Calls that looked a bucket up just before the sweep spend from the dropped one while the next calls start a full
    /// one: at that instant, a pair that had been idle (its bucket was full) can get up to twice its burst.
    /// </remarks>
    public void EvictFull()
    {
        EvictFull(_clients, Limits.ClientBurst);
        EvictFull(_tools, Limits.ToolBurst);
    }

    public void Dispose()
    {
        foreach (var limiter in _clients.Values)
        {
            limiter.Dispose();
        }

        foreach (var limiter in _tools.Values)
        {
            limiter.Dispose();
        }
    }

    private static void EvictFull<TKey>(ConcurrentDictionary<TKey, TokenBucketRateLimiter> buckets, int burst)
        where TKey : notnull
    {
        foreach (var bucket in buckets)
        {
            bucket.Value.TryReplenish();
            if (bucket.Value.GetStatistics()?.CurrentAvailablePermits >= burst)
            {
                // Removed only if still the pair's bucket; not disposed, since a call may still hold it (it owns no
                // timer: replenishment is manual).
                buckets.TryRemove(bucket);
            }
        }
    }

    private static bool TryTake(TokenBucketRateLimiter limiter, out TimeSpan retryAfter)
    {
        limiter.TryReplenish();
        using var lease = limiter.AttemptAcquire();
        if (lease.IsAcquired)
        {
            retryAfter = TimeSpan.Zero;
            return true;
        }

        retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
        return false;
    }

    private static TokenBucketRateLimiter Create(double perSecond, int burst) => new(new TokenBucketRateLimiterOptions
    {
        TokenLimit = burst,
        TokensPerPeriod = 1,
        ReplenishmentPeriod = TimeSpan.FromSeconds(1 / perSecond),
        QueueLimit = 0,
        AutoReplenishment = false,
    });
}
