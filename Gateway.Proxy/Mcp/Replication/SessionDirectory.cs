using System.Diagnostics.Metrics;
using System.Text;
using StackExchange.Redis;

namespace Gateway.Proxy.Mcp.Replication;

/// <summary>
/// The sessions every replica shares, in Redis: one key per session holding its <see cref="SessionRecord"/>, with
/// a time to live that activity renews, and a channel on which an ended or changed session is announced so that
/// replicas holding it in memory drop or update it at once. Garnet has no keyspace notifications, so an idle
/// session simply expires: by then every replica's own idle clock has run out too.
/// </summary>
internal sealed partial class SessionDirectory
{
    public const string MeterName = "Gateway.Proxy.Mcp";
    public const string RoundTripsName = "gateway.mcp.session.redis_round_trips";
    private const string KeyPrefix = "gateway:mcp:session:";
    private static readonly RedisChannel s_events = RedisChannel.Literal("gateway:mcp:sessions");
    private readonly IConnectionMultiplexer _redis;
    private readonly Counter<long> _roundTrips;
    private readonly ILogger<SessionDirectory> _logger;

    public SessionDirectory(IConnectionMultiplexer redis, IMeterFactory meters, ILogger<SessionDirectory> logger)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _redis = redis;
        _logger = logger;
        _roundTrips = meters.Create(MeterName).CreateCounter<long>(
            RoundTripsName, "{round_trip}", "Redis round trips made for MCP sessions shared between replicas, by operation.");
    }

    /// <summary>Stores a new session for <paramref name="lifetime"/>.</summary>
    public async Task CreateAsync(SessionRecord record, TimeSpan lifetime)
    {
        Count("create");
        await _redis.GetDatabase().StringSetAsync(Key(record.Id), record.ToJson(), lifetime, When.Always);
    }

    /// <summary>The session with this id, its lifetime renewed in the same command; null when unknown or expired.</summary>
    public async Task<SessionRecord?> FindAsync(string id, TimeSpan lifetime)
    {
        Count("find");
        var value = await _redis.GetDatabase().StringGetSetExpiryAsync(Key(id), lifetime);
        return value.IsNull ? null : SessionRecord.FromJson((byte[])value!);
    }

    /// <summary>Renews a session's lifetime; fire and forget, off every call's path.</summary>
    public void Touch(string id, TimeSpan lifetime)
    {
        Count("touch");
        _ = _redis.GetDatabase().KeyExpireAsync(Key(id), lifetime, CommandFlags.FireAndForget);
    }

    /// <summary>Replaces a live session's record (its lifetime kept) and tells every replica.</summary>
    public async Task UpdateAsync(SessionRecord record)
    {
        Count("update");
        var json = record.ToJson();
        var database = _redis.GetDatabase();
        // Both commands leave together: one round trip.
        var stored = database.StringSetAsync(Key(record.Id), json, null, keepTtl: true, When.Exists, CommandFlags.None);
        var announced = _redis.GetSubscriber().PublishAsync(s_events, Event('u', json));
        await Task.WhenAll(stored, announced);
    }

    /// <summary>Ends a session everywhere: its key is deleted and every replica told to forget it.</summary>
    public async Task DeleteAsync(string id)
    {
        Count("delete");
        var deleted = _redis.GetDatabase().KeyDeleteAsync(Key(id));
        var announced = _redis.GetSubscriber().PublishAsync(s_events, Event('d', Encoding.UTF8.GetBytes(id)));
        await Task.WhenAll(deleted, announced);
    }

    /// <summary>Listens for sessions ended (<paramref name="deleted"/>) or changed (<paramref name="updated"/>) on any replica.</summary>
    public async Task ListenAsync(Func<string, Task> deleted, Action<SessionRecord> updated)
    {
        var queue = await _redis.GetSubscriber().SubscribeAsync(s_events);
        queue.OnMessage(async message =>
        {
            var payload = (byte[])message.Message!;
            if (payload.Length < 2)
            {
                return;
            }

            switch ((char)payload[0])
            {
                case 'd':
                    await deleted(Encoding.UTF8.GetString(payload.AsSpan(1)));
                    break;
                case 'u' when SessionRecord.FromJson(payload.AsSpan(1)) is { } record:
                    updated(record);
                    break;
                default:
                    LogUnknownEvent(_logger, payload[0]);
                    break;
            }
        });
    }

    private static RedisKey Key(string id) => KeyPrefix + id;

    private static byte[] Event(char kind, ReadOnlySpan<byte> payload)
    {
        var message = new byte[payload.Length + 1];
        message[0] = (byte)kind;
        payload.CopyTo(message.AsSpan(1));
        return message;
    }

    private void Count(string operation) => _roundTrips.Add(1, new KeyValuePair<string, object?>("operation", operation));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unknown MCP session event kind {Kind} on the sessions channel")]
    private static partial void LogUnknownEvent(ILogger logger, byte kind);
}
