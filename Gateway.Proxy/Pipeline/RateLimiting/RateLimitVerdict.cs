namespace Gateway.Proxy.Pipeline.RateLimiting;

/// <summary>Which token bucket refused a call.</summary>
public enum RateLimitBucket
{
    None,
    Client,
    Tool,
}

/// <summary>The rate limiter's answer for one call.</summary>
/// <param name="Allowed">True when a token was taken from every bucket the call draws on.</param>
/// <param name="RetryAfter">When refused: how long until the refusing bucket holds a token again.</param>
/// <param name="Bucket">When refused: the bucket that was empty.</param>
/// <param name="Shared">True when decided by the Redis buckets shared by every replica, false for this replica's fallback.</param>
public readonly record struct RateLimitVerdict(bool Allowed, TimeSpan RetryAfter, RateLimitBucket Bucket, bool Shared)
{
    public static RateLimitVerdict AllowedLocally => new(true, TimeSpan.Zero, RateLimitBucket.None, Shared: false);
}
