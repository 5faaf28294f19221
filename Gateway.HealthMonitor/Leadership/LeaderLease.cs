using Gateway.Contracts.Circuit;
using Gateway.HealthMonitor.Monitoring;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.HealthMonitor.Leadership;

/// <summary>
/// The leader lease in Redis, and beside it the leader's API address (same TTL) so a standby can forward admin
/// actions. Scripts take the lease only when it is free or already ours, and renew or release it only while this
/// instance holds it, so a replica that stalled past its TTL cannot extend a successor's lease.
/// </summary>
public sealed class LeaderLease(IConnectionMultiplexer redis, IOptions<HealthMonitorOptions> options, AdvertisedAddress address)
{
    // Taking a lease we already hold succeeds: a round that took the lease and then failed (the snapshot read) must be
    // able to lead on the next round instead of waiting out its own TTL with nobody leading.
    private const string AcquireScript = """
        local holder = redis.call('GET', KEYS[1])
        if holder and holder ~= ARGV[1] then
          return 0
        end
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[2])
        return 1
        """;

    private const string RenewScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[2])
          return 1
        end
        return 0
        """;

    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then
          redis.call('DEL', KEYS[2])
          return redis.call('DEL', KEYS[1])
        end
        return 0
        """;

    private readonly RedisKey[] _keys =
    [
        CircuitSnapshotFormat.LeaseKey(options.Value.KeyPrefix),
        CircuitSnapshotFormat.LeaderAddressKey(options.Value.KeyPrefix),
    ];

    private readonly string _instanceId = options.Value.InstanceId;
    private readonly long _ttlMilliseconds = (long)options.Value.LeaseTtl.TotalMilliseconds;

    /// <summary>Takes the lease if nobody holds it, or keeps it if this instance does; false when another holds it.</summary>
    public async Task<bool> TryAcquireAsync() =>
        (long)await redis.GetDatabase().ScriptEvaluateAsync(AcquireScript, _keys, [_instanceId, _ttlMilliseconds, address.Value]) == 1;

    /// <summary>Extends the lease (and refreshes the advertised address); false when another instance holds it (or nobody does).</summary>
    public async Task<bool> RenewAsync() =>
        (long)await redis.GetDatabase().ScriptEvaluateAsync(RenewScript, _keys, [_instanceId, _ttlMilliseconds, address.Value]) == 1;

    public async Task ReleaseAsync() =>
        await redis.GetDatabase().ScriptEvaluateAsync(ReleaseScript, _keys, [_instanceId]);

    /// <summary>The instance holding the lease, or null.</summary>
    public async Task<string?> HolderAsync() => await redis.GetDatabase().StringGetAsync(_keys[0]);

    /// <summary>The leader's API base address, or null when no leader has advertised one.</summary>
    public async Task<Uri?> LeaderAddressAsync() =>
        await redis.GetDatabase().StringGetAsync(_keys[1]) is { HasValue: true } value
        && Uri.TryCreate(value.ToString(), UriKind.Absolute, out var uri)
            ? uri
            : null;
}
