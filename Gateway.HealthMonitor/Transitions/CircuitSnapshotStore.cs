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
public sealed class CircuitSnapshotStore(IConnectionMultiplexer redis, IOptions<HealthMonitorOptions> options)
{
    private const string CommitScript = """
        if redis.call('GET', KEYS[1]) ~= ARGV[1] then
          return -1
        end
        local floor = tonumber(ARGV[5])
        if tonumber(redis.call('GET', KEYS[2]) or '0') < floor then
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
    /// The highest sequence this instance has seen. If Redis lost its data (a restart without persistence), the
    /// counter restarts from here instead of from zero, so proxies never see a sequence go backwards.
    /// </param>
    public async Task<long?> CommitAsync<T>(string field, T message, long floor = 0)
    {
        var remainder = CircuitSnapshotFormat.SerializeAfterSequence(message);
        var result = (long)await redis.GetDatabase().ScriptEvaluateAsync(
            CommitScript, _keys, [_instanceId, field, remainder, CircuitSnapshotFormat.SequenceField, floor]);
        return result < 0 ? null : result;
    }

    public async Task<CircuitSnapshot> ReadAsync()
    {
        var entries = await redis.GetDatabase().HashGetAllAsync(_keys[2]);
        return CircuitSnapshotFormat.Parse(entries.Select(e => new KeyValuePair<string, string>(e.Name!, e.Value!)));
    }
}
