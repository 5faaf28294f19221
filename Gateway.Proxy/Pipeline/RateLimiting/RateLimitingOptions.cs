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

    /// <summary>
    /// How far ahead a replica takes tokens from the shared buckets. Each (client, tool) pair spends a lease of
    /// tokens locally and fetches the next one, in the background, when half of it is spent; a pair whose previous
    /// fetch was less than this long ago gets a lease twice as large, one whose fetches are rarer than four windows
    /// gets half. A lease thus settles near what the pair spends in one window, and a busy pair costs one Redis
    /// round trip per lease instead of one per call. Default: 50 ms.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:10")]
    public TimeSpan LeaseWindow { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Largest lease, as a share of the smaller burst the call draws on (never less than one token). Tokens one
    /// replica holds are not available to the others, so this bounds how unevenly replicas can serve one client;
    /// the shared limit itself is never exceeded. 0 takes one token per call. Default: 0.1.
    /// </summary>
    [Range(0.0, 1.0)]
    public double MaxLeaseShare { get; set; } = 0.1;

    /// <summary>
    /// A (client, tool) pair's unspent leased tokens are dropped once this long has passed since its last lease
    /// fetch (a fetch keeps what is left of the previous lease alive with the new one), so a client that comes back
    /// after a pause cannot exceed its burst by what a replica still held. Default: 1 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan LeaseLifetime { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often what quiet (client, target) pairs hold is dropped: local buckets that are full again and leases with
    /// nothing left to spend, which a new bucket or lease would reproduce. Memory then follows the pairs in use, not
    /// every pair ever seen. Default: 30 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan IdleSweepInterval { get; set; } = TimeSpan.FromSeconds(30);
}
