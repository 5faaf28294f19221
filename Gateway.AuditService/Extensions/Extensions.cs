using System.Text.Json.Serialization;
using Gateway.AuditService.Ingestion;
using Gateway.AuditService.Retention;
using Gateway.AuditService.Storage;
using Gateway.Authentication;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gateway.AuditService.Extensions;

internal static class Extensions
{
    /// <summary>
    /// The audit service's capabilities. Registration order is shutdown order reversed: the store migrates before the
    /// bus starts, and on SIGTERM the bus stops taking messages and finishes its batch before the store is closed.
    /// </summary>
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        builder.AddGatewayAuthentication();
        builder.AddAuditStorage();
        builder.AddAuditIngestion();
        builder.AddAuditRetention();
    }
}
