using Gateway.Contracts.Messages;
using Gateway.HealthMonitor.Breakers;
using MassTransit;

namespace Gateway.HealthMonitor.Transitions;

/// <summary>
/// Keeps a standby's breakers in step with the leader's published transitions, so its API shows the same state and
/// it continues from there when it takes over. The leader sees its own events and ignores them by sequence.
/// </summary>
public sealed class LeaderTransitionConsumer(AuthoritativeBreakers breakers)
    : IConsumer<CircuitStateChanged>, IConsumer<BackendHealthChanged>
{
    public Task Consume(ConsumeContext<CircuitStateChanged> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        breakers.Adopt(context.Message);
        return Task.CompletedTask;
    }

    public Task Consume(ConsumeContext<BackendHealthChanged> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        breakers.Adopt(context.Message);
        return Task.CompletedTask;
    }
}
