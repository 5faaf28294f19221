namespace Gateway.Proxy.Pipeline.RateLimiting;

/// <summary>What the shared buckets gave for one take.</summary>
/// <param name="Tokens">Tokens taken from every bucket the call draws on; 0 when refused.</param>
/// <param name="RetryAfter">When refused: how long until the refusing bucket holds a token again.</param>
/// <param name="Bucket">When refused: the bucket that was empty.</param>
public readonly record struct RateLimitGrant(int Tokens, TimeSpan RetryAfter, RateLimitBucket Bucket);
