using Gateway.Messaging;

namespace Gateway.AuditService.Ingestion;

internal static class IngestionExtensions
{
    /// <summary>Consumes audit events and health transitions from the bus (<c>ConnectionStrings:messaging</c>) in batches.</summary>
    public static IHostApplicationBuilder AddAuditIngestion(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<AuditIngestionOptions>()
            .BindConfiguration(AuditIngestionOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.AddGatewayMessaging(bus => bus.AddConsumer<AuditIngestConsumer>(typeof(AuditIngestConsumerDefinition)));
        return builder;
    }
}
