using System.ComponentModel.DataAnnotations;

namespace Gateway.Proxy.Pipeline.RateLimiting;

/// <summary>
/// How the rate limiter uses Redis. The limits themselves are <c>Gateway:RateLimits</c>; this is
/// <c>Gateway:RateLimiting</c>.
/// </summary>
public sealed class RateLimitingOptions
{
    public const string SectionName = "Gateway:RateLimiting";

    /// <summary>
    /// Longest a call waits for the shared buckets before this replica decides alone; the limiter is in every
    /// call's path, so this stays small. Default: 100 ms.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:10")]
    public TimeSpan RedisTimeout { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>After a failed or slow Redis call, how long the replica uses its own buckets before trying Redis again. Default: 1 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan FallbackDuration { get; set; } = TimeSpan.FromSeconds(1);
}
