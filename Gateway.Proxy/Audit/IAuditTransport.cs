using Gateway.Contracts.Messages;

namespace Gateway.Proxy.Audit;

/// <summary>Where audit batches leave the proxy: the message bus. Completes only once the broker has the batch.</summary>
public interface IAuditTransport
{
    Task PublishAsync(AuditEventBatch batch, CancellationToken cancellationToken);
}
