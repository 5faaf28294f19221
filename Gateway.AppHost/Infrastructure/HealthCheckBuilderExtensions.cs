using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Gateway.AppHost.Infrastructure;

public static class HealthCheckBuilderExtensions
{
    /// <summary>Marks the resource healthy once <paramref name="endpointName"/> accepts TCP connections.</summary>
    public static IResourceBuilder<T> WithTcpHealthCheck<T>(this IResourceBuilder<T> builder, string endpointName)
        where T : IResourceWithEndpoints
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.WithHealthCheck($"{builder.Resource.Name}_{endpointName}_tcp", new TcpHealthCheck(builder.Resource.GetEndpoint(endpointName)));
    }

    /// <summary>Registers <paramref name="check"/> with the AppHost's health check service under <paramref name="key"/> and ties it to the resource.</summary>
    public static IResourceBuilder<T> WithHealthCheck<T>(this IResourceBuilder<T> builder, string key, IHealthCheck check)
        where T : IResource
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.ApplicationBuilder.Services.AddHealthChecks().Add(new HealthCheckRegistration(key, _ => check, failureStatus: null, tags: null));
        return builder.WithHealthCheck(key);
    }
}
