using Gateway.Contracts.Configuration;

namespace Gateway.HealthMonitor.Probes;

/// <summary>Probes a backend that configures <see cref="BackendOptions.HealthPath"/>: any 2xx answer is healthy.</summary>
public sealed class HealthPathProbe(IHttpClientFactory httpClientFactory)
{
    public async Task<ProbeResult> ProbeAsync(BackendOptions backend, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var target = new Uri(backend.Url!, backend.HealthPath);
        using var client = httpClientFactory.CreateClient(ProbeScheduler.HttpClientName);
        using var response = await client.GetAsync(target, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        return response.IsSuccessStatusCode
            ? ProbeResult.Ok
            : ProbeResult.Failed($"GET {backend.HealthPath} answered {(int)response.StatusCode}");
    }
}
