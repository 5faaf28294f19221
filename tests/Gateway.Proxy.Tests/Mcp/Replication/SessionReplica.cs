using System.Diagnostics.Metrics;
using Gateway.Proxy.Mcp;
using Gateway.Proxy.Mcp.Replication;
using Gateway.Proxy.Tests.Circuit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace Gateway.Proxy.Tests.Mcp.Replication;

/// <summary>
/// One replica's session store with its own Redis connection, as a proxy process would have, and a count of the
/// Redis round trips it made for sessions.
/// </summary>
internal sealed class SessionReplica : IAsyncDisposable
{
    private readonly ServiceProvider _metrics;
    private readonly MeterListener _listener = new();
    private readonly ConnectionMultiplexer _redis;
    private long _roundTrips;

    private SessionReplica(ConnectionMultiplexer redis, McpOptions options, TimeProvider time)
    {
        _redis = redis;
        _metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = _metrics.GetRequiredService<IMeterFactory>();
        var meter = meters.Create(SessionDirectory.MeterName);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, meter) && instrument.Name == SessionDirectory.RoundTripsName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _roundTrips, value));
        _listener.Start();
        Directory = new SessionDirectory(redis, meters, NullLogger<SessionDirectory>.Instance);
        Relay = new SessionRelay(redis, NullLogger<SessionRelay>.Instance);
        Store = new McpSessionStore(new TestOptionsMonitor<McpOptions>(options), time, NullLogger<McpSessionStore>.Instance, Directory, Relay);
    }

    public McpSessionStore Store { get; }

    public SessionDirectory Directory { get; }

    public SessionRelay Relay { get; }

    /// <summary>Redis round trips made for sessions since the replica started.</summary>
    public long RoundTrips => Interlocked.Read(ref _roundTrips);

    public static async Task<SessionReplica> StartAsync(string redis, McpOptions options, TimeProvider time)
    {
        var replica = new SessionReplica(await ConnectionMultiplexer.ConnectAsync(redis), options, time);
        await replica.Store.StartAsync(CancellationToken.None);
        return replica;
    }

    public async ValueTask DisposeAsync()
    {
        await Store.StopAsync(CancellationToken.None);
        Store.Dispose();
        _listener.Dispose();
        await _metrics.DisposeAsync();
        await _redis.DisposeAsync();
    }
}
