using Gateway.Contracts.Circuit;
using Gateway.HealthMonitor.Monitoring;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.HealthMonitor.Leadership;

/// <summary>
/// The leader lease in Redis: <c>SET key instance NX PX ttl</c> to take it, and scripts that renew or release it only
/// while this instance still holds it, so a replica that stalled past its TTL cannot extend a successor's lease.
/// </summary>
public sealed class LeaderLease(IConnectionMultiplexer redis, IOptions<HealthMonitorOptions> options)
{
    private const string RenewScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          return redis.call('PEXPIRE', KEYS[1], ARGV[2])
        end
        return 0
        """;

    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          return redis.call('DEL', KEYS[1])
        end
        return 0
        """;

    private readonly RedisKey _key = CircuitSnapshotFormat.LeaseKey(options.Value.KeyPrefix);
    private readonly string _instanceId = options.Value.InstanceId;
    private readonly long _ttlMilliseconds = (long)options.Value.LeaseTtl.TotalMilliseconds;

    public Task<bool> TryAcquireAsync() =>
        redis.GetDatabase().StringSetAsync(_key, _instanceId, TimeSpan.FromMilliseconds(_ttlMilliseconds), When.NotExists);

    /// <summary>Extends the lease; false when another instance holds it (or nobody does).</summary>
    public async Task<bool> RenewAsync()
    {
        var result = await redis.GetDatabase().ScriptEvaluateAsync(RenewScript, [_key], [_instanceId, _ttlMilliseconds]);
        return (long)result == 1;
    }

    public async Task ReleaseAsync() =>
        await redis.GetDatabase().ScriptEvaluateAsync(ReleaseScript, [_key], [_instanceId]);

    /// <summary>The instance holding the lease, or null.</summary>
    public async Task<string?> HolderAsync() => await redis.GetDatabase().StringGetAsync(_key);
}
