using Gateway.Contracts.Messages;
using MassTransit;

namespace Gateway.Proxy.Pipeline.KillSwitches;

/// <summary>
/// Re-reads the store when another replica (or this one) changed a kill switch. The store stays the source of
/// truth: a notification only says "now". Consumed on a queue of this replica's own (see
/// <c>PipelineExtensions.AddKillSwitchNotifications</c>), since a competing-consumer queue would give each change to
/// one replica only.
/// </summary>
public sealed class KillSwitchChangedConsumer(KillSwitchState state) : IConsumer<KillSwitchChanged>
{
    public Task Consume(ConsumeContext<KillSwitchChanged> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return state.RefreshAsync(context.CancellationToken);
    }
}
