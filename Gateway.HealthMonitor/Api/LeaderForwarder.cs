using System.Net.Http.Json;
using Gateway.Contracts;
using Gateway.HealthMonitor.Leadership;
using Microsoft.Net.Http.Headers;
using StackExchange.Redis;

namespace Gateway.HealthMonitor.Api;

/// <summary>
/// Sends an admin action that reached a standby on to the leader, whose address the leader keeps beside its lease.
/// The caller's credentials travel with it, so the leader authorises and audits the same client. A request that was
/// already forwarded is never forwarded again: if leadership moved meanwhile, the caller gets 503 and retries.
/// </summary>
public sealed partial class LeaderForwarder(
    LeaderLease lease,
    LeadershipState leadership,
    IHttpClientFactory httpClientFactory,
    ILogger<LeaderForwarder> logger)
{
    public const string HttpClientName = "leader-forwarding";

    /// <summary>Set on a forwarded request to the monitor instance that forwarded it.</summary>
    public const string ForwardedByHeader = "X-Gateway-Forwarded-By";

    private static readonly string[] CredentialHeaders = [HeaderNames.Authorization, "X-Api-Key"];

    public async Task<IResult> ForwardAsync(HttpContext http, IsolateRequest? body)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (http.Request.Headers.ContainsKey(ForwardedByHeader))
        {
            return Unavailable("leadership moved while the request was forwarded; retry");
        }

        Uri? leader;
        try
        {
            leader = await lease.LeaderAddressAsync();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return Unavailable("the leader cannot be looked up: " + ex.Message);
        }

        if (leader is null)
        {
            return Unavailable("no leader has advertised its address; retry on the leader");
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(leader, http.Request.Path + http.Request.QueryString))
        {
            Content = body is null ? null : JsonContent.Create(body),
        };
        foreach (var header in CredentialHeaders)
        {
            if (http.Request.Headers.TryGetValue(header, out var value))
            {
                request.Headers.TryAddWithoutValidation(header, (IEnumerable<string?>)value);
            }
        }

        request.Headers.Add(ForwardedByHeader, leadership.InstanceId);
        try
        {
            using var client = httpClientFactory.CreateClient(HttpClientName);
            using var response = await client.SendAsync(request, http.RequestAborted);
            var content = await response.Content.ReadAsStringAsync(http.RequestAborted);
            LogForwarded(http.Request.Path, leader, (int)response.StatusCode);
            return Results.Content(content, response.Content.Headers.ContentType?.ToString(), statusCode: (int)response.StatusCode);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !http.RequestAborted.IsCancellationRequested)
        {
            return Unavailable($"the leader at {leader} did not answer: {ex.Message}");
        }
    }

    private static IResult Unavailable(string message) =>
        Results.Json(new { error = new { code = GatewayErrorCodes.TransportError, message } }, statusCode: StatusCodes.Status503ServiceUnavailable);

    [LoggerMessage(Level = LogLevel.Information, Message = "Forwarded {Path} to the leader at {Leader}: {Status}")]
    private partial void LogForwarded(string path, Uri leader, int status);
}
