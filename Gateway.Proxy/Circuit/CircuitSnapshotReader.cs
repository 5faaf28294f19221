using Gateway.Contracts.Circuit;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Proxy.Circuit;

/// <summary>Reads the monitor's Redis snapshot (the proxy never writes it).</summary>
public sealed class CircuitSnapshotReader(IConnectionMultiplexer redis, IOptions<CircuitSyncOptions> options)
{
    private readonly RedisKey _key = CircuitSnapshotFormat.SnapshotKey(options.Value.KeyPrefix);

    public async Task<CircuitSnapshot> ReadAsync()
    {
        var entries = await redis.GetDatabase().HashGetAllAsync(_key);
        return CircuitSnapshotFormat.Parse(entries.Select(e => new KeyValuePair<string, string>(e.Name!, e.Value!)));
    }
}
