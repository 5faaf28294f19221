using System.Threading.Channels;
using MassTransit;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Proxy.Circuit;

/// <summary>
/// Keeps this replica's breakers in step with the monitor: connects a per-instance, auto-deleted queue for
/// <see cref="Gateway.Contracts.Messages.CircuitStateChanged"/> (every replica gets every transition), and reads the
/// Redis snapshot on start and each time that queue (re)connects, because a per-instance queue misses what was
/// published while it was gone. Transitions apply only when newer than what a breaker holds, so snapshot and events
/// can arrive in any order. With Redis or the bus gone the breakers keep their last state (fail-static).
/// </summary>
public sealed partial class CircuitStateSync(
    CircuitBreakerRegistry registry,
    CircuitSyncStatus status,
    CircuitPropagation propagation,
    IServiceProvider services,
    IOptions<CircuitSyncOptions> options,
    TimeProvider timeProvider,
    ILogger<CircuitStateSync> logger) : BackgroundService
{
    private readonly Channel<bool> _reloads = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
    });

    /// <summary>Asks for the snapshot to be read again (coalesced with any pending request).</summary>
    public void RequestSnapshot() => _reloads.Writer.TryWrite(true);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var handle = ConnectTransitionQueue();
        try
        {
            RequestSnapshot();
            var reader = services.GetService<IConnectionMultiplexer>() is { } redis ? new CircuitSnapshotReader(redis, options) : null;
            await foreach (var _ in _reloads.Reader.ReadAllAsync(stoppingToken))
            {
                if (reader is not null)
                {
                    await LoadSnapshotAsync(reader, stoppingToken);
                }
            }
        }
        finally
        {
            if (handle is not null)
            {
                await handle.StopAsync(CancellationToken.None);
            }
        }
    }

    private HostReceiveEndpointHandle? ConnectTransitionQueue()
    {
        if (services.GetService<IBus>() is not { } bus)
        {
            LogNoBus();
            return null;
        }

        return bus.ConnectReceiveEndpoint(
            new TemporaryEndpointDefinition($"circuit-{options.Value.InstanceId}"),
            KebabCaseEndpointNameFormatter.Instance,
            endpoint =>
            {
                endpoint.ConnectReceiveEndpointObserver(new QueueObserver(this, status));
                endpoint.Consumer(() => new CircuitTransitionConsumer(registry, status, propagation, timeProvider));
            });
    }

    private async Task LoadSnapshotAsync(CircuitSnapshotReader reader, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var snapshot = await reader.ReadAsync();
                var applied = 0;
                foreach (var change in snapshot.Circuits.Where(registry.Apply))
                {
                    propagation.Applied(change, CircuitPropagation.Snapshot, timeProvider.GetUtcNow());
                    applied++;
                }

                status.SnapshotRead(snapshot.Sequence);
                LogSnapshot(snapshot.Sequence, applied, snapshot.Circuits.Count);
                return;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                status.SnapshotFailed(ex.Message);
                LogSnapshotRetry(ex.Message);
                await Task.Delay(options.Value.SnapshotRetryInterval, timeProvider, cancellationToken);
            }
        }
    }

    private sealed class QueueObserver(CircuitStateSync sync, CircuitSyncStatus status) : IReceiveEndpointObserver
    {
        public Task Ready(ReceiveEndpointReady ready)
        {
            status.BusChanged(connected: true);
            sync.RequestSnapshot();
            return Task.CompletedTask;
        }

        public Task Stopping(ReceiveEndpointStopping stopping) => Task.CompletedTask;

        public Task Completed(ReceiveEndpointCompleted completed)
        {
            status.BusChanged(connected: false);
            return Task.CompletedTask;
        }

        public Task Faulted(ReceiveEndpointFaulted faulted)
        {
            status.BusChanged(connected: false);
            return Task.CompletedTask;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Circuit snapshot {Sequence} read: {Applied} of {Total} backend states were newer and applied")]
    private partial void LogSnapshot(long sequence, int applied, int total);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Circuit snapshot unreadable, keeping the last known state and retrying: {Message}")]
    private partial void LogSnapshotRetry(string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No message bus registered: this replica gates on its local breakers only")]
    private partial void LogNoBus();
}
