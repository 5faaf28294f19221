using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using Gateway.Contracts.Configuration;

namespace Gateway.Proxy.Pipeline.RateLimiting;

/// <summary>
/// The shared Redis buckets, spent locally. Each (client, tool) pair holds a lease of tokens taken from Redis and
/// spends it without a round trip; the next lease is fetched in the background once half is spent, and calls wait
/// for Redis only when the lease is empty. Tokens are taken before they are spent, so all replicas together never
/// exceed the shared limit; the price is that tokens one replica holds are not available to another until spent or
/// dropped (<see cref="RateLimitingOptions.MaxLeaseShare"/>, <see cref="RateLimitingOptions.LeaseLifetime"/>).
/// </summary>
/// <remarks>
/// A Lua call per tools/call was the largest share of the proxy's cost per call: three thread hand-offs in the
/// Redis client, each a context switch, plus Redis's own CPU (bench/results/proxy-latency.md).
/// </remarks>
public sealed class SharedTokenLeases
{
    private static readonly RateLimitVerdict s_allowed = new(true, TimeSpan.Zero, RateLimitBucket.None, Shared: true);
    private readonly ConcurrentDictionary<(string Client, string? Target), TokenLease> _leases = new();
    private readonly RedisTokenBuckets _buckets;
    private readonly RateLimitingOptions _options;
    private readonly TimeProvider _time;

    public SharedTokenLeases(RedisTokenBuckets buckets, RateLimitOptions limits, RateLimitingOptions options, TimeProvider time)
    {
        _buckets = buckets;
        Limits = limits;
        _options = options;
        _time = time;
    }

    public RateLimitOptions Limits { get; }

    /// <summary>
    /// Spends one token of the pair's lease. When the lease is empty and fetching the next one fails, throws what
    /// the fetch threw (a <see cref="StackExchange.Redis.RedisException"/>, or <see cref="TimeoutException"/> after
    /// <see cref="RateLimitingOptions.RedisTimeout"/>).
    /// </summary>
    public ValueTask<RateLimitVerdict> AcquireAsync(string clientId, string? target) =>
        _leases.GetOrAdd((clientId, target), static (key, self) => new TokenLease(self, key.Client, key.Target), this).AcquireAsync();

    /// <summary>Pairs currently holding a lease.</summary>
    public int Count => _leases.Count;

    /// <summary>
    /// Drops the leases of pairs that have gone quiet: no unexpired token, no fetch under way, and no fetch for four
    /// <see cref="RateLimitingOptions.LeaseWindow"/>s (a busy pair that has just spent its lease keeps its size).
    /// Without this, memory would follow every pair ever seen (resource URIs read through templates are unbounded).
    /// </summary>
    /// <remarks>
    /// A call that looked the lease up just before the sweep spends from the dropped one; tokens it fetches and does
    /// not spend are lost to the shared bucket, which can only under-spend the limit, never exceed it.
    /// </remarks>
    public void EvictIdle()
    {
        var now = _time.GetTimestamp();
        foreach (var lease in _leases)
        {
            if (lease.Value.IsIdle(now))
            {
                _leases.TryRemove(lease);
            }
        }
    }

    private readonly record struct Fetch(RateLimitGrant Grant, ExceptionDispatchInfo? Error);

    private sealed class TokenLease
    {
        private readonly SharedTokenLeases _owner;
        private readonly string _clientId;
        private readonly string? _target;
        private readonly int _maxSize;
        private readonly long _window;
        private readonly long _lifetime;
        private readonly Lock _gate = new();
        private int _tokens;
        private long _expiresAt;
        private int _size = 1;
        private long? _lastFetchAt;
        private Task<Fetch>? _fetch;

        public TokenLease(SharedTokenLeases owner, string clientId, string? target)
        {
            _owner = owner;
            _clientId = clientId;
            _target = target;
            var limits = owner.Limits;
            var burst = target is null ? limits.ClientBurst : Math.Min(limits.ClientBurst, limits.ToolBurst);
            _maxSize = Math.Max(1, (int)(owner._options.MaxLeaseShare * burst));
            var frequency = owner._time.TimestampFrequency;
            _window = (long)(owner._options.LeaseWindow.TotalSeconds * frequency);
            _lifetime = (long)(owner._options.LeaseLifetime.TotalSeconds * frequency);
        }

        public ValueTask<RateLimitVerdict> AcquireAsync()
        {
            Task<Fetch> fetch;
            lock (_gate)
            {
                var now = _owner._time.GetTimestamp();
                if (TryTake(now))
                {
                    if (_fetch is null && _size > 1 && _tokens <= _size / 2)
                    {
                        // Whoever finds the lease empty awaits this fetch; until then nobody needs its outcome.
                        StartFetch(now);
                    }

                    return new ValueTask<RateLimitVerdict>(s_allowed);
                }

                fetch = _fetch ?? StartFetch(now);
            }

            return WaitForTokenAsync(fetch);
        }

        private async ValueTask<RateLimitVerdict> WaitForTokenAsync(Task<Fetch> fetch)
        {
            while (true)
            {
                var outcome = await fetch;
                outcome.Error?.Throw();
                lock (_gate)
                {
                    var now = _owner._time.GetTimestamp();
                    if (TryTake(now))
                    {
                        return s_allowed;
                    }

                    if (outcome.Grant.Tokens == 0)
                    {
                        return new RateLimitVerdict(false, outcome.Grant.RetryAfter, outcome.Grant.Bucket, Shared: true);
                    }

                    // Other calls spent what that fetch brought before this one got a token: fetch again.
                    fetch = _fetch ?? StartFetch(now);
                }
            }
        }

        public bool IsIdle(long now)
        {
            lock (_gate)
            {
                return _fetch is null
                    && (_tokens == 0 || now >= _expiresAt)
                    && (_lastFetchAt is not { } last || now - last > 4 * _window);
            }
        }

        /// <summary>Under the lock: takes one unexpired token.</summary>
        private bool TryTake(long now)
        {
            if (now >= _expiresAt)
            {
                _tokens = 0;
            }

            if (_tokens == 0)
            {
                return false;
            }

            _tokens--;
            return true;
        }

        /// <summary>Under the lock: sizes the next lease from how soon it is needed, and fetches it.</summary>
        private Task<Fetch> StartFetch(long now)
        {
            if (_lastFetchAt is { } last && now - last < _window)
            {
                _size = Math.Min(_size * 2, _maxSize);
            }
            else if (_lastFetchAt is null || now - _lastFetchAt > 4 * _window)
            {
                _size = Math.Max(1, _size / 2);
            }

            _lastFetchAt = now;
            var fetch = FetchAsync(_size);
            // A fetch that failed synchronously has already finished; keeping it would hand its error to later calls.
            _fetch = fetch.IsCompleted ? null : fetch;
            return fetch;
        }

        private async Task<Fetch> FetchAsync(int wanted)
        {
            Fetch outcome;
            try
            {
                var grant = await _owner._buckets.TakeAsync(_clientId, _target, _owner.Limits, _owner._time.GetUtcNow(), wanted)
                    .WaitAsync(_owner._options.RedisTimeout, _owner._time);
                outcome = new Fetch(grant, null);
            }
            catch (Exception ex)
            {
                // Kept in the outcome, not thrown: a background fetch may have no caller to observe it.
                outcome = new Fetch(default, ExceptionDispatchInfo.Capture(ex));
            }

            lock (_gate)
            {
                if (outcome.Grant.Tokens > 0)
                {
                    var now = _owner._time.GetTimestamp();
                    _tokens = (now >= _expiresAt ? 0 : _tokens) + outcome.Grant.Tokens;
                    _expiresAt = now + _lifetime;
                }

                _fetch = null;
            }

            return outcome;
        }
    }
}
