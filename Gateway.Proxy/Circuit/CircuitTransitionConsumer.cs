using Gateway.Contracts.Messages;
using MassTransit;

namespace Gateway.Proxy.Circuit;

/// <summary>Applies the monitor's transitions, received on this replica's own queue, on top of the local breakers.</summary>
public sealed class CircuitTransitionConsumer(CircuitBreakerRegistry registry, CircuitSyncStatus status, TimeProvider timeProvider)
    : IConsumer<CircuitStateChanged>
{
    public Task Consume(ConsumeContext<CircuitStateChanged> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var applied = registry.Apply(context.Message);
        status.TransitionSeen(context.Message.Sequence, applied, timeProvider.GetUtcNow());
        return Task.CompletedTask;
    }
}
