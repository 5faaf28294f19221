using System.Net.Http.Json;
using System.Text.Json;

namespace Gateway.AppHost.GatewayState;

/// <summary>
/// The admin APIs the dashboard's gateway commands call: the health monitor's backends API and the proxy's kill
/// switches, authenticated with the AppHost's admin key parameter, so every action is decided, audited and fanned out
/// exactly as when an operator calls the API.
/// </summary>
public sealed class GatewayAdminApi(EndpointReference healthMonitor, EndpointReference proxy, ParameterResource adminKey)
{
    /// <summary>One client for the AppHost's lifetime: a handful of local calls, never to a changing DNS name.</summary>
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public const string HeaderName = "X-Api-Key";

    /// <summary>The User-Agent of the dashboard feed's reads, which the services leave out of their traces.</summary>
    public const string FeedUserAgent = "Gateway.AppHost-state-feed";

    /// <summary>The actor's reason recorded in the audit log for actions taken from the dashboard.</summary>
    public const string DashboardReason = "from the Aspire dashboard";

    public EndpointReference HealthMonitor { get; } = healthMonitor;

    public EndpointReference Proxy { get; } = proxy;

    private async Task AuthenticateAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Headers.Add(HeaderName, await adminKey.GetValueAsync(cancellationToken));
    }

    /// <summary>Reads an admin API's JSON answer.</summary>
    public async Task<T> GetAsync<T>(EndpointReference target, string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(new Uri(target.Url), path));
        // Matches the services' trace filter (ServiceDefaults): the feed's reads are not traced.
        request.Headers.UserAgent.ParseAdd(FeedUserAgent);
        await AuthenticateAsync(request, cancellationToken);
        using var response = await Http.SendAsync(request, cancellationToken);
        response.EnsureSuccessStatusCode();
        return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken) ?? throw new JsonException($"{path} answered null");
    }

    /// <summary>Sends an admin request; a refusal comes back as the command's failure with the API's own words.</summary>
    public async Task<ExecuteCommandResult> SendAsync(EndpointReference target, HttpMethod method, string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        using var request = new HttpRequestMessage(method, new Uri(new Uri(target.Url), path));
        await AuthenticateAsync(request, cancellationToken);
        if (method != HttpMethod.Delete)
        {
            request.Content = JsonContent.Create(new { reason = DashboardReason });
        }

        try
        {
            using var response = await Http.SendAsync(request, cancellationToken);
            return response.IsSuccessStatusCode
                ? CommandResults.Success()
                : CommandResults.Failure($"{(int)response.StatusCode} {response.ReasonPhrase}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }
        catch (HttpRequestException ex)
        {
            return CommandResults.Failure($"{target.Resource.Name} did not answer: {ex.Message}");
        }
    }
}
