using System.Threading.Channels;
using Gateway.Contracts.Messages;
using Gateway.HealthMonitor.Breakers;

namespace Gateway.HealthMonitor.Transitions;

/// <summary>
/// A decision waiting for its sequence number: exactly one of <see cref="PendingCircuitChange"/> or
/// <see cref="PendingHealthChange"/> (the constructor is closed to other assemblies), each carrying its message with
/// sequence 0.
/// </summary>
public abstract record PendingTransition
{
    private protected PendingTransition(MonitoredBackend backend) => Backend = backend;

    /// <summary>Whose state changed.</summary>
    public MonitoredBackend Backend { get; }
}

/// <summary>A breaker transition, published once committed.</summary>
/// <param name="Change">The transition, with sequence 0.</param>
/// <param name="Committed">Completed with the committed transition, or null when it could not be committed (an admin action waits on it).</param>
public sealed record PendingCircuitChange(MonitoredBackend Backend, CircuitStateChanged Change, TaskCompletionSource<CircuitStateChanged?>? Committed = null)
    : PendingTransition(Backend);

/// <summary>A change of probe health, published once committed.</summary>
/// <param name="Change">The change, with sequence 0.</param>
public sealed record PendingHealthChange(MonitoredBackend Backend, BackendHealthChanged Change) : PendingTransition(Backend);

/// <summary>
/// Decisions in the order they were taken. Breakers enqueue under their own lock, so one backend's decisions keep
/// their order; <see cref="TransitionWriter"/> drains the queue, committing and publishing one at a time.
/// </summary>
public sealed class PendingTransitions
{
    private readonly Channel<PendingTransition> _channel = Channel.CreateUnbounded<PendingTransition>(
        new UnboundedChannelOptions { SingleReader = true });

    public ChannelReader<PendingTransition> Reader => _channel.Reader;

    public void Enqueue(PendingTransition transition) => _channel.Writer.TryWrite(transition);
}
