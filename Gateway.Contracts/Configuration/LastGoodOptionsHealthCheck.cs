using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Gateway.Contracts.Configuration;

/// <summary>
/// Degraded while the last reload of <typeparamref name="TOptions"/> was rejected: the service still serves, on the
/// last good configuration, but the file on disk is not what runs. Data: the rejection time and every error.
/// </summary>
public sealed class LastGoodOptionsHealthCheck<TOptions>(LastGoodOptionsMonitor<TOptions> monitor) : IHealthCheck
    where TOptions : class
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (monitor.LastRejection is not { } rejection)
        {
            return Task.FromResult(HealthCheckResult.Healthy("The configuration in use is the last one loaded."));
        }

        var data = new Dictionary<string, object>
        {
            ["rejectedAt"] = rejection.RejectedAt,
            ["errors"] = rejection.Errors,
        };
        return Task.FromResult(HealthCheckResult.Degraded(
            $"The last configuration reload was rejected ({rejection.Errors.Count} error(s)); the last good configuration stays in use.",
            data: data));
    }
}
