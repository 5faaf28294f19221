using Gateway.Contracts.Messages;
using Gateway.HealthMonitor.Breakers;
using MassTransit;

namespace Gateway.HealthMonitor.Outcomes;

/// <summary>Feeds every proxy replica's passive outcomes into the authoritative breakers.</summary>
public sealed class OutcomeBatchConsumer(AuthoritativeBreakers breakers) : IConsumer<BackendOutcomeBatch>
{
    public Task Consume(ConsumeContext<BackendOutcomeBatch> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        foreach (var report in context.Message.Reports)
        {
            breakers.RecordOutcomes(report);
        }

        return Task.CompletedTask;
    }
}
