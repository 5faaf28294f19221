using Gateway.Authentication.Upstream;
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
        using var request = new HttpRequestMessage(HttpMethod.Get, target);
        request.Options.Set(UpstreamCredentials.BackendOption, backend.Name);
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        return response.IsSuccessStatusCode
            ? ProbeResult.Ok
            : ProbeResult.Failed($"GET {backend.HealthPath} answered {(int)response.StatusCode}");
    }
}
