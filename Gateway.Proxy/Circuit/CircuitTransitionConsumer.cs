using Gateway.Contracts.Messages;
using MassTransit;

namespace Gateway.Proxy.Circuit;

/// <summary>Applies the monitor's transitions, received on this replica's own queue, on top of the local breakers.</summary>
public sealed class CircuitTransitionConsumer(
    CircuitBreakerRegistry registry,
    CircuitSyncStatus status,
    CircuitPropagation propagation,
    TimeProvider timeProvider) : IConsumer<CircuitStateChanged>
{
    public Task Consume(ConsumeContext<CircuitStateChanged> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var change = context.Message;
        var applied = registry.Apply(change);
        // Read right after the breaker changed: from here on, calls gate on the new state.
        var now = timeProvider.GetUtcNow();
        status.TransitionSeen(change.Sequence, applied, now);
        if (applied)
        {
            propagation.Applied(change, CircuitPropagation.Bus, now);
        }

        return Task.CompletedTask;
    }
}
