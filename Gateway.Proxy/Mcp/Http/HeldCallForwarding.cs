using Gateway.Contracts;

namespace Gateway.Proxy.Mcp.Http;

/// <summary>
/// Sends a 2026-07-28 client's retry to the replica that holds its call (named in the sealed <c>requestState</c>) and
/// relays that replica's answer as it comes. The holding replica authenticates the caller again from the same
/// headers; a forwarded request is never forwarded a second time.
/// </summary>
internal sealed class HeldCallForwarding : IDisposable
{
    // Its own client: no retry handler may repeat a retry, whose answers would then reach the backend twice.
    private readonly HttpClient _client = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>Marks a forwarded request: the receiving replica answers it itself whatever the state says.</summary>
    public const string ForwardedHeader = "Gateway-Forwarded-Retry";

    private static readonly string[] s_forwardedHeaders =
    [
        "Authorization", "X-Api-Key", "Accept", McpProtocol.ProtocolVersionHeader, McpProtocol.MethodHeader, McpProtocol.NameHeader,
    ];

    public static bool IsForwarded(HttpContext http) => http.Request.Headers.ContainsKey(ForwardedHeader);

    public async Task ForwardAsync(HttpContext http, ReadOnlyMemory<byte> body, string address, CancellationToken cancellationToken)
    {
        if (address.Length == 0)
        {
            await HttpAnswers.WriteErrorAsync(http, StatusCodes.Status502BadGateway, GatewayErrorCodes.TransportError,
                "The call this requestState continues is held by a replica without an address (set Gateway:Mcp:ReplicaAddress).");
            return;
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, address + "/mcp") { Content = new ReadOnlyMemoryContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(MediaTypes.Json);
        foreach (var name in s_forwardedHeaders)
        {
            if (http.Request.Headers.TryGetValue(name, out var values))
            {
                request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        request.Headers.TryAddWithoutValidation(ForwardedHeader, "1");
        HttpResponseMessage response;
        try
        {
            response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            await HttpAnswers.WriteErrorAsync(http, StatusCodes.Status502BadGateway, GatewayErrorCodes.TransportError,
                $"The replica holding this call did not answer ({ex.Message}); call again without requestState.");
            return;
        }

        using (response)
        {
            http.Response.StatusCode = (int)response.StatusCode;
            http.Response.ContentType = response.Content.Headers.ContentType?.ToString();
            if (MediaTypes.Is(http.Response.ContentType, MediaTypes.EventStream))
            {
                http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();
            }

            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            await stream.CopyToAsync(http.Response.Body, cancellationToken);
        }
    }

    public void Dispose() => _client.Dispose();
}
