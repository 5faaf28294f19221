using Gateway.Contracts.Messages;
using MassTransit;

namespace Gateway.Proxy.Audit;

/// <summary>
/// Publishes audit batches with MassTransit. RabbitMQ publisher confirms are on, so a completed publish is a batch
/// the broker has accepted; while the broker is down the publish waits, and the publisher's timeout turns that into a spill.
/// </summary>
public sealed class BusAuditTransport(IBus bus) : IAuditTransport
{
    public Task PublishAsync(AuditEventBatch batch, CancellationToken cancellationToken) => bus.Publish(batch, cancellationToken);
}
