using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Gateway.AuditService.Storage;

/// <summary>Readiness: the audit database answers a primary-key lookup.</summary>
internal sealed class AuditStoreHealthCheck(IAuditStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await store.Queries.FindAsync(Guid.Empty, cancellationToken);
            return HealthCheckResult.Healthy($"{store.Engine} answers");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"{store.Engine} does not answer", ex);
        }
    }
}
