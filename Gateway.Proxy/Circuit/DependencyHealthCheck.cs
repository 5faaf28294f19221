using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Gateway.Proxy.Circuit;

/// <summary>
/// Reports a dependency the proxy can serve without (Redis, the bus) as Degraded instead of Unhealthy, so
/// <c>/health</c> keeps answering 200 while the replica runs fail-static; the details still say what is down.
/// </summary>
internal sealed class DependencyHealthCheck(IHealthCheck inner) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        HealthCheckResult result;
        try
        {
            result = await inner.CheckHealthAsync(context, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Degraded(ex.Message, ex);
        }

        return result.Status == HealthStatus.Unhealthy
            ? new HealthCheckResult(HealthStatus.Degraded, result.Description, result.Exception, result.Data)
            : result;
    }

    /// <summary>The name Aspire.StackExchange.Redis gives the health check of its (unkeyed) client.</summary>
    private const string RedisHealthCheckName = "StackExchange.Redis";

    /// <summary>Wraps the registrations of Redis and MassTransit's bus checks.</summary>
    public static void Degrade(HealthCheckServiceOptions options)
    {
        foreach (var registration in options.Registrations)
        {
            if (registration.Name == RedisHealthCheckName || registration.Tags.Contains("masstransit"))
            {
                var factory = registration.Factory;
                registration.Factory = services => new DependencyHealthCheck(factory(services));
                registration.FailureStatus = HealthStatus.Degraded;
            }
        }
    }
}
