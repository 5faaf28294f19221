using System.Threading.Channels;
using Gateway.HealthMonitor.Breakers;

namespace Gateway.HealthMonitor.Transitions;

/// <summary>
/// A decision waiting for its sequence number: a <see cref="Gateway.Contracts.Messages.CircuitStateChanged"/> or
/// <see cref="Gateway.Contracts.Messages.BackendHealthChanged"/> with sequence 0.
/// </summary>
/// <param name="Backend">Whose state changed.</param>
/// <param name="Message">The change, published once committed.</param>
/// <param name="Committed">Completed with the committed message, or null when it could not be committed.</param>
public sealed record PendingTransition(MonitoredBackend Backend, object Message, TaskCompletionSource<object?>? Committed = null);

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
