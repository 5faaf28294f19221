using System.Collections.Concurrent;
using System.Collections.Frozen;
using Gateway.Contracts.Configuration;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Proxy.Pipeline.TokenBudgets;

/// <summary>
/// LLM tokens per client per minute (<see cref="RateLimitOptions.ClientTokensPerMinute"/>, or the client's own
/// <see cref="ClientOptions.TokensPerMinute"/>), counted from the usage providers report. Windows are calendar
/// minutes: a request is refused while the client's tokens in the current minute have reached its budget, with
/// <c>Retry-After</c> at the next minute. Usage is only known after an answer, so the last request of a minute may
/// overshoot; the next ones are refused.
/// </summary>
/// <remarks>
/// With Redis the count is shared by every replica (one key per client and minute, <c>INCRBY</c> after each
/// answer, read before each request); when Redis is absent or fails, each replica counts on its own.
/// </remarks>
public sealed partial class TokenBudget : IDisposable
{
    private static readonly TimeSpan RedisTimeout = TimeSpan.FromMilliseconds(100);

    private readonly IConnectionMultiplexer? _redis;
    private readonly TimeProvider _time;
    private readonly ILogger<TokenBudget> _logger;
    private readonly ConcurrentDictionary<string, LocalWindow> _local = new(StringComparer.Ordinal);
    private readonly IDisposable? _subscription;
    private volatile Budgets _budgets;

    public TokenBudget(IOptionsMonitor<GatewayOptions> options, TimeProvider time, ILogger<TokenBudget> logger, IConnectionMultiplexer? redis = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _redis = redis;
        _time = time;
        _logger = logger;
        _budgets = Budgets.From(options.CurrentValue);
        _subscription = options.OnChange(o => _budgets = Budgets.From(o));
    }

    /// <summary>Whether <paramref name="clientId"/> has a token budget at all; without one nothing is counted or read.</summary>
    public bool IsLimited(string clientId) => _budgets.For(clientId) is not null;

    /// <summary>Null while the client may spend tokens this minute; otherwise how long until the next minute.</summary>
    public async ValueTask<TimeSpan?> CheckAsync(string clientId)
    {
        if (_budgets.For(clientId) is not { } budget)
        {
            return null;
        }

        var now = _time.GetUtcNow();
        var minute = now.ToUnixTimeSeconds() / 60;
        var spent = await SpentAsync(clientId, minute);
        return spent >= budget ? DateTimeOffset.FromUnixTimeSeconds((minute + 1) * 60) - now : null;
    }

    /// <summary>
    /// Counts tokens an answer used, here and in Redis (waiting at most the Redis timeout, so a budget this answer
    /// spends binds the client's next request on every replica); never throws into the request.
    /// </summary>
    public async ValueTask SpendAsync(string clientId, long tokens)
    {
        if (tokens <= 0 || _budgets.For(clientId) is null)
        {
            return;
        }

        var minute = _time.GetUtcNow().ToUnixTimeSeconds() / 60;
        _local.AddOrUpdate(clientId, (_, t) => new LocalWindow(minute, t), (_, w, t) => w.Minute == minute ? w with { Tokens = w.Tokens + t } : new LocalWindow(minute, t), tokens);
        if (_redis is not { IsConnected: true } redis)
        {
            return;
        }

        try
        {
            var key = Key(clientId, minute);
            var database = redis.GetDatabase();
            _ = database.KeyExpireAsync(key, TimeSpan.FromMinutes(2), flags: CommandFlags.FireAndForget);
            await database.StringIncrementAsync(key, tokens).WaitAsync(RedisTimeout, _time);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogSharedCountUnavailable(_logger, ex, clientId);
        }
    }

    public void Dispose() => _subscription?.Dispose();

    private async ValueTask<long> SpentAsync(string clientId, long minute)
    {
        var local = _local.TryGetValue(clientId, out var window) && window.Minute == minute ? window.Tokens : 0;
        if (_redis is not { IsConnected: true } redis)
        {
            return local;
        }

        try
        {
            var shared = await redis.GetDatabase().StringGetAsync(Key(clientId, minute)).WaitAsync(RedisTimeout, _time);
            // This replica's own spending is in Redis too, unless a write was lost: the larger count is the truer one.
            return Math.Max(local, shared.TryParse(out long value) ? value : 0);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            LogSharedCountUnavailable(_logger, ex, clientId);
            return local;
        }
    }

    // The hash tag keeps a client's keys in one cluster slot, like the rate limiter's.
    private static string Key(string clientId, long minute) => $"gateway:tpm:{{{clientId}}}:{minute}";

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shared token count for client '{ClientId}' unavailable; counting on this replica only.")]
    private static partial void LogSharedCountUnavailable(ILogger logger, Exception exception, string clientId);

    private readonly record struct LocalWindow(long Minute, long Tokens);

    private sealed class Budgets(FrozenDictionary<string, long> perClient, long? fallback)
    {
        public static Budgets From(GatewayOptions options) => new(
            options.Clients.Where(c => c is { TokensPerMinute: not null }).ToFrozenDictionary(c => c.Id, c => c.TokensPerMinute!.Value, StringComparer.Ordinal),
            options.RateLimits.ClientTokensPerMinute);

        public long? For(string clientId) => perClient.TryGetValue(clientId, out var own) ? own : fallback;
    }
}
