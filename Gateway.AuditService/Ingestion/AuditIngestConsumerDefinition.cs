using MassTransit;
using Microsoft.Extensions.Options;

namespace Gateway.AuditService.Ingestion;

/// <summary>
/// Puts <see cref="AuditIngestConsumer"/> on the one durable queue all audit replicas share, as a batch consumer.
/// </summary>
internal sealed class AuditIngestConsumerDefinition : ConsumerDefinition<AuditIngestConsumer>
{
    private readonly AuditIngestionOptions _options;

    public AuditIngestConsumerDefinition(IOptions<AuditIngestionOptions> options)
    {
        _options = options.Value;
        EndpointName = _options.QueueName;
    }

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<AuditIngestConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        // Enough prefetch to fill every concurrent batch plus the next one collecting while they commit; with less,
        // a batch could never reach its message limit and would always wait out the time limit.
        var inFlight = _options.BatchMessageLimit * (_options.BatchConcurrencyLimit + 1);
        endpointConfigurator.PrefetchCount = inFlight;
        endpointConfigurator.ConcurrentMessageLimit = inFlight;
        consumerConfigurator.Options<BatchOptions>(batch => batch
            .SetMessageLimit(_options.BatchMessageLimit)
            .SetTimeLimit(_options.BatchTimeLimit)
            .SetConcurrencyLimit(_options.BatchConcurrencyLimit));
    }
}
