using System.Threading.Channels;
using MassTransit;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Proxy.Circuit;

/// <summary>
/// Keeps this replica's breakers in step with the monitor by reading the Redis snapshot on start and each time the
/// replica's own transition queue (<see cref="CircuitTransitionConsumer"/>) becomes ready again, because a
/// per-instance queue misses what was published while it was gone. Transitions apply only when newer than what a
/// breaker holds, so snapshot and events can arrive in any order. With Redis or the bus gone the breakers keep their
/// last state (fail-static).
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
        if (services.GetService<IBus>() is null)
        {
            LogNoBus();
        }

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

    [LoggerMessage(Level = LogLevel.Information, Message = "Circuit snapshot {Sequence} read: {Applied} of {Total} backend states were newer and applied")]
    private partial void LogSnapshot(long sequence, int applied, int total);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Circuit snapshot unreadable, keeping the last known state and retrying: {Message}")]
    private partial void LogSnapshotRetry(string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "No message bus registered: this replica gates on its local breakers only")]
    private partial void LogNoBus();
}
