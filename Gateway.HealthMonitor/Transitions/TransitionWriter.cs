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
            object? committed = null;
            try
            {
                committed = await CommitAsync(pending, stoppingToken);
                if (committed is not null)
                {
                    await PublishAsync(committed, stoppingToken);
                }
            }
            finally
            {
                pending.Committed?.TrySetResult(committed);
            }
        }
    }

    private async Task<object?> CommitAsync(PendingTransition pending, CancellationToken cancellationToken)
    {
        // Redis may blink; keep trying while we still lead (the election steps down once the lease cannot be renewed).
        while (leadership.IsLeader)
        {
            try
            {
                return pending.Message switch
                {
                    CircuitStateChanged change => await CommitCircuitAsync(pending, change),
                    BackendHealthChanged change => await CommitHealthAsync(pending, change),
                    _ => throw new InvalidOperationException($"Unexpected transition {pending.Message.GetType().Name}."),
                };
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                LogCommitRetry(pending.Backend.Name, ex.Message);
                await Task.Delay(RetryDelay, timeProvider, cancellationToken);
            }
        }

        LogDropped(pending.Backend.Name);
        return null;
    }

    private async Task<object?> CommitCircuitAsync(PendingTransition pending, CircuitStateChanged change)
    {
        if (await store.CommitAsync(CircuitSnapshotFormat.CircuitField(change.Backend), change, breakers.HighestSequence) is not { } sequence)
        {
            election.StepDown("the snapshot write was fenced: another instance holds the lease");
            return null;
        }

        var committed = change with { Sequence = sequence };
        lock (pending.Backend.Gate)
        {
            pending.Backend.Remember(committed);
        }

        LogCommitted(committed.Sequence, committed.Backend, committed.PreviousState, committed.State, committed.Actor, committed.Reason);
        return committed;
    }

    private async Task<object?> CommitHealthAsync(PendingTransition pending, BackendHealthChanged change)
    {
        if (await store.CommitAsync(CircuitSnapshotFormat.HealthField(change.Backend), change, breakers.HighestSequence) is not { } sequence)
        {
            election.StepDown("the snapshot write was fenced: another instance holds the lease");
            return null;
        }

        lock (pending.Backend.Gate)
        {
            pending.Backend.HealthSequence = sequence;
        }

        return change with { Sequence = sequence };
    }

    private async Task PublishAsync(object message, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(PublishTimeout);
        try
        {
            await (message switch
            {
                CircuitStateChanged change => bus.Publish(change, timeout.Token),
                BackendHealthChanged change => bus.Publish(change, timeout.Token),
                _ => Task.CompletedTask,
            });
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
