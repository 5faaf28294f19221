using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Gateway.Proxy.Catalog;

/// <summary>
/// Degraded while some tool, prompt or resource is shown under a qualified name because another backend shows the
/// name it wanted: every item stays callable, but clients may look for the bare name. Data: each collision.
/// </summary>
internal sealed class CatalogNamesHealthCheck(CatalogService catalog) : IHealthCheck
{
    public const string Name = "catalog-names";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var collisions = catalog.Current.Collisions;
        if (collisions.IsEmpty)
        {
            return Task.FromResult(HealthCheckResult.Healthy("Every catalog item is shown under the name it wanted."));
        }

        var data = new Dictionary<string, object> { ["collisions"] = collisions.Select(c => c.Describe()).ToArray() };
        return Task.FromResult(HealthCheckResult.Degraded(
            $"{collisions.Length} catalog item(s) are shown under a qualified name because another backend shows the name they wanted.",
            data: data));
    }
}
