using Gateway.Contracts.Circuit;
using Gateway.HealthMonitor.Monitoring;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.HealthMonitor.Transitions;

/// <summary>
/// The Redis snapshot of the latest transition per backend (see <see cref="CircuitSnapshotFormat"/>). Writes are
/// fenced: one script checks that this instance still holds the leader lease, takes the next sequence number and
/// writes the snapshot field and the sequence, so a deposed leader can neither write nor consume a sequence.
/// </summary>
/// <remarks>
/// The sequence is never reused or rewound, even when Redis loses its data (no persistence, a failover, a flush):
/// a counter found missing restarts above both the highest sequence this leader knows and the current Unix time in
/// milliseconds. The clock covers what the leader's memory cannot: a leader restarted along with Redis, or one that
/// had not yet seen its predecessor's last transitions. Each epoch starts at its own Unix milliseconds, so it lies
/// above every earlier one as long as fewer transitions were committed than milliseconds passed between two losses.
/// </remarks>
public sealed class CircuitSnapshotStore(IConnectionMultiplexer redis, IOptions<HealthMonitorOptions> options, TimeProvider timeProvider)
{
    private const string CommitScript = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then
          return -1
        end
        local stored = redis.call('GET', KEYS[2])
        local floor = ARGV[5]
        if not stored and tonumber(ARGV[6]) > tonumber(floor) then
          floor = ARGV[6]
        end
        if tonumber(stored or '0') < tonumber(floor) then
          redis.call('SET', KEYS[2], floor)
        end
        local sequence = redis.call('INCR', KEYS[2])
        redis.call('HSET', KEYS[3], ARGV[2], '{"sequence":' .. sequence .. ARGV[3])
        redis.call('HSET', KEYS[3], ARGV[4], sequence)
        return sequence
        """;

    private readonly RedisKey[] _keys =
    [
        CircuitSnapshotFormat.LeaseKey(options.Value.KeyPrefix),
        CircuitSnapshotFormat.SequenceKey(options.Value.KeyPrefix),
        CircuitSnapshotFormat.SnapshotKey(options.Value.KeyPrefix),
    ];

    private readonly string _instanceId = options.Value.InstanceId;

    /// <summary>
    /// Writes <paramref name="message"/> (whose own sequence is ignored) to snapshot field <paramref name="field"/>
    /// under the next sequence number; returns that number, or null when this instance no longer leads.
    /// </summary>
    /// <param name="floor">
    /// The highest sequence this instance has seen: the counter never continues below it. If Redis lost the counter,
    /// it restarts above this and above the clock (see the remarks), so proxies never see a sequence go backwards.
    /// </param>
    public async Task<long?> CommitAsync<T>(string field, T message, long floor = 0)
    {
        var remainder = CircuitSnapshotFormat.SerializeAfterSequence(message);
        var result = (long)await redis.GetDatabase().ScriptEvaluateAsync(
            CommitScript, _keys, [_instanceId, field, remainder, CircuitSnapshotFormat.SequenceField, floor, timeProvider.GetUtcNow().ToUnixTimeMilliseconds()]);
        return result < 0 ? null : result;
    }

    public async Task<CircuitSnapshot> ReadAsync()
    {
        var entries = await redis.GetDatabase().HashGetAllAsync(_keys[2]);
        return CircuitSnapshotFormat.Parse(entries.Select(e => new KeyValuePair<string, string>(e.Name!, e.Value!)));
    }
}
