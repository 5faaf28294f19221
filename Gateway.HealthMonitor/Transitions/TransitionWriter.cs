using Gateway.Contracts.Circuit;
using Gateway.Contracts.Messages;
using Gateway.HealthMonitor.Breakers;
using Gateway.HealthMonitor.Leadership;
using MassTransit;
using StackExchange.Redis;

namespace Gateway.HealthMonitor.Transitions;

/// <summary>
/// Gives each decision its sequence number through the fenced snapshot write, then publishes it. Publication comes
/// after the snapshot, so a proxy that misses the event (bus down, queue recreated) finds it in the snapshot.
/// </summary>
public sealed partial class TransitionWriter(
    PendingTransitions queue,
    AuthoritativeBreakers breakers,
    CircuitSnapshotStore store,
    LeadershipState leadership,
    LeaderElection election,
    IBus bus,
    TimeProvider timeProvider,
    ILogger<TransitionWriter> logger) : BackgroundService
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await foreach (var pending in queue.Reader.ReadAllAsync(stoppingToken))
        {
            switch (pending)
            {
                case PendingCircuitChange circuit:
                    await WriteAsync(circuit, stoppingToken);
                    break;
                case PendingHealthChange health:
                    await WriteAsync(health, stoppingToken);
                    break;
            }
        }
    }

    private async Task WriteAsync(PendingCircuitChange pending, CancellationToken cancellationToken)
    {
        CircuitStateChanged? committed = null;
        try
        {
            committed = await CommitAsync(pending.Backend, CircuitSnapshotFormat.CircuitField(pending.Change.Backend), pending.Change, cancellationToken) is { } sequence
                ? pending.Change with { Sequence = sequence }
                : null;
            if (committed is not null)
            {
                lock (pending.Backend.Gate)
                {
                    pending.Backend.Remember(committed);
                }

                LogCommitted(committed.Sequence, committed.Backend, committed.PreviousState, committed.State, committed.Actor, committed.Reason);
                await PublishAsync(committed, cancellationToken);
            }
        }
        finally
        {
            pending.Committed?.TrySetResult(committed);
        }
    }

    private async Task WriteAsync(PendingHealthChange pending, CancellationToken cancellationToken)
    {
        if (await CommitAsync(pending.Backend, CircuitSnapshotFormat.HealthField(pending.Change.Backend), pending.Change, cancellationToken) is not { } sequence)
        {
            return;
        }

        lock (pending.Backend.Gate)
        {
            pending.Backend.HealthSequence = sequence;
        }

        await PublishAsync(pending.Change with { Sequence = sequence }, cancellationToken);
    }

    /// <summary>The committed sequence, or null when this instance no longer leads (fenced, or stepped down meanwhile).</summary>
    private async Task<long?> CommitAsync<T>(MonitoredBackend backend, string field, T change, CancellationToken cancellationToken)
    {
        // Redis may blink; keep trying while we still lead (the election steps down once the lease cannot be renewed).
        while (leadership.IsLeader)
        {
            try
            {
                if (await store.CommitAsync(field, change, breakers.HighestSequence) is { } sequence)
                {
                    return sequence;
                }

                election.StepDown("the snapshot write was fenced: another instance holds the lease");
                return null;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                LogCommitRetry(backend.Name, ex.Message);
                await Task.Delay(RetryDelay, timeProvider, cancellationToken);
            }
        }

        LogDropped(backend.Name);
        return null;
    }

    private async Task PublishAsync<T>(T message, CancellationToken cancellationToken)
        where T : class
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(PublishTimeout);
        try
        {
            await bus.Publish(message, timeout.Token);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The snapshot already holds it; proxies re-read the snapshot when their bus connection comes back.
            LogPublishFailed(ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Transition {Sequence} {Backend}: {From} -> {To} by {Actor}: {Reason}")]
    private partial void LogCommitted(long sequence, string backend, CircuitState from, CircuitState to, string actor, string? reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write the transition of {Backend} to Redis, retrying: {Message}")]
    private partial void LogCommitRetry(string backend, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Transition of {Backend} dropped: this instance no longer leads")]
    private partial void LogDropped(string backend);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing a transition failed (it is in the snapshot): {Message}")]
    private partial void LogPublishFailed(string message);
}
