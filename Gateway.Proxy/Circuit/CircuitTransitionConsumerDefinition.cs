using MassTransit;

namespace Gateway.Proxy.Circuit;

/// <summary>
/// Watches the replica's transition queue: each time it becomes ready (first start, or back after the broker or the
/// connection was lost) the snapshot is read again, since the queue missed what was published while it was gone;
/// <c>/health</c> reports the bus as disconnected while it is not consuming.
/// </summary>
public sealed class CircuitTransitionConsumerDefinition(CircuitStateSync sync, CircuitSyncStatus status)
    : ConsumerDefinition<CircuitTransitionConsumer>
{
    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<CircuitTransitionConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(endpointConfigurator);
        endpointConfigurator.ConnectReceiveEndpointObserver(new QueueObserver(sync, status));
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
}
