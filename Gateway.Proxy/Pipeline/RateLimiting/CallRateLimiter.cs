using Gateway.Contracts.Configuration;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Proxy.Pipeline.RateLimiting;

/// <summary>
/// The rate-limit stage: the shared Redis buckets (spent through <see cref="SharedTokenLeases"/>) when Redis answers
/// within <see cref="RateLimitingOptions.RedisTimeout"/>, otherwise this replica's own buckets with the same limits
/// for <see cref="RateLimitingOptions.FallbackDuration"/> before Redis is tried again.
/// </summary>
public sealed partial class CallRateLimiter : IDisposable
{
    private readonly RedisTokenBuckets? _shared;
    private readonly IOptions<RateLimitingOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<CallRateLimiter> _logger;
    private readonly IDisposable? _subscription;
    private readonly ITimer _idleSweep;
    private volatile LocalTokenBuckets _local;
    private volatile SharedTokenLeases? _leases;
    private long _sharedRetryAt;

    public CallRateLimiter(
        IOptionsMonitor<GatewayOptions> gateway,
        IOptions<RateLimitingOptions> options,
        TimeProvider time,
        ILogger<CallRateLimiter> logger,
        RedisTokenBuckets? shared = null)
    {
        ArgumentNullException.ThrowIfNull(gateway);
        _options = options;
        _time = time;
        _logger = logger;
        _shared = shared;
        _local = new LocalTokenBuckets(gateway.CurrentValue.RateLimits);
        _leases = CreateLeases(gateway.CurrentValue.RateLimits);
        // New limits start from full local buckets and empty leases. The old ones are left to the GC, not disposed:
        // a call in flight may still hold them, and they own no timer (replenishment is manual).
        _subscription = gateway.OnChange(o =>
        {
            _local = new LocalTokenBuckets(o.RateLimits);
            _leases = CreateLeases(o.RateLimits);
        });
        var sweep = options.Value.IdleSweepInterval;
        _idleSweep = time.CreateTimer(static self => ((CallRateLimiter)self!).EvictIdle(), this, sweep, sweep);
    }

    /// <summary>Whether the last calls were decided by this replica alone (Redis absent or unreachable).</summary>
    public bool IsFallingBack => _shared is null || !_shared.IsConnected || _time.GetTimestamp() < Volatile.Read(ref _sharedRetryAt);

    public ValueTask<RateLimitVerdict> AcquireAsync(string clientId, string? target)
    {
        var local = _local;
        return IsFallingBack || _leases is not { } leases
            ? new ValueTask<RateLimitVerdict>(local.Acquire(clientId, target))
            : AcquireSharedAsync(clientId, target, leases, local);
    }

    /// <summary>Buckets and leases currently held (for tests).</summary>
    internal int HeldBucketsAndLeases => _local.Count + (_leases?.Count ?? 0);

    /// <summary>Drops what quiet pairs hold in the current buckets and leases (every <see cref="RateLimitingOptions.IdleSweepInterval"/>).</summary>
    public void EvictIdle()
    {
        _local.EvictFull();
        _leases?.EvictIdle();
    }

    public void Dispose()
    {
        _idleSweep.Dispose();
        _subscription?.Dispose();
        _local.Dispose();
    }

    private SharedTokenLeases? CreateLeases(RateLimitOptions limits) =>
        _shared is null ? null : new SharedTokenLeases(_shared, limits, _options.Value, _time);

    private async ValueTask<RateLimitVerdict> AcquireSharedAsync(string clientId, string? target, SharedTokenLeases leases, LocalTokenBuckets local)
    {
        try
        {
            return await leases.AcquireAsync(clientId, target);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or InvalidCastException)
        {
            // Unreachable, slow, or answering something unexpected (e.g. a Redis without Lua): decide locally.
            var fallback = _options.Value.FallbackDuration;
            Volatile.Write(ref _sharedRetryAt, _time.GetTimestamp() + (long)(fallback.TotalSeconds * _time.TimestampFrequency));
            LogFallingBack(_logger, fallback, ex.Message);
            return local.Acquire(clientId, target);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shared rate limits unavailable; using this replica's limits for {Duration}: {Error}")]
    private static partial void LogFallingBack(ILogger logger, TimeSpan duration, string error);
}
