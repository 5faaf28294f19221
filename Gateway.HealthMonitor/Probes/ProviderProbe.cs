using System.Net;
using Gateway.Contracts.Configuration;

namespace Gateway.HealthMonitor.Probes;

/// <summary>
/// Probes an LLM provider with <c>GET {BaseUrl}/{ProbePath}</c> (<c>models</c> by default: it needs the key but costs
/// no tokens), authenticated as the proxy authenticates its calls: <c>Authorization: Bearer</c> for an OpenAI-kind
/// provider, <c>x-api-key</c> and <c>anthropic-version</c> for an Anthropic one. The key is read from configuration at
/// each probe, so a rotated key is picked up without a restart; it goes in the request header and nowhere else.
/// </summary>
public sealed class ProviderProbe(IHttpClientFactory httpClientFactory, IConfiguration configuration)
{
    /// <summary>
    /// The probes' own client: the backends' client replaces every <c>Authorization</c> header with a backend
    /// credential, which would drop the provider's key.
    /// </summary>
    public const string HttpClientName = "provider-probes";

    /// <summary>The Messages API version the probe asks for; any version the provider still serves would do for <c>models</c>.</summary>
    public const string AnthropicVersion = "2023-06-01";

    public async Task<ProbeResult> ProbeAsync(ProviderOptions provider, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(provider);
        using var request = new HttpRequestMessage(HttpMethod.Get, Target(provider));
        var key = string.IsNullOrEmpty(provider.ApiKeySetting) ? null : configuration[provider.ApiKeySetting];
        if (!string.IsNullOrEmpty(key))
        {
            Authenticate(request, provider.Kind, key);
        }

        using var client = httpClientFactory.CreateClient(HttpClientName);
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        return Evaluate(provider, response.StatusCode, keyMissing: !string.IsNullOrEmpty(provider.ApiKeySetting) && string.IsNullOrEmpty(key));
    }

    /// <summary><see cref="ProviderOptions.BaseUrl"/> keeps its last segment (<c>/v1</c>): the probe path goes after it, not in its place.</summary>
    internal static Uri Target(ProviderOptions provider)
    {
        var baseUrl = provider.BaseUrl ?? throw new ArgumentException($"Provider {provider.Name} has no BaseUrl.", nameof(provider));
        var directory = baseUrl.AbsolutePath.EndsWith('/') ? baseUrl : new UriBuilder(baseUrl) { Path = baseUrl.AbsolutePath + "/" }.Uri;
        return new Uri(directory, provider.ProbePath);
    }

    private static void Authenticate(HttpRequestMessage request, ProviderKind kind, string key)
    {
        if (kind == ProviderKind.Anthropic)
        {
            request.Headers.TryAddWithoutValidation("x-api-key", key);
            request.Headers.TryAddWithoutValidation("anthropic-version", AnthropicVersion);
        }
        else
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + key);
        }
    }

    /// <summary>
    /// 2xx: healthy. 429: the provider is up and metering us, which says nothing against its health. 401/403: a
    /// failure that names the key setting, since the provider will refuse every call with it. Anything else, a
    /// failure with its status.
    /// </summary>
    internal static ProbeResult Evaluate(ProviderOptions provider, HttpStatusCode status, bool keyMissing)
    {
        var code = (int)status;
        if (code is >= 200 and <= 299 || status == HttpStatusCode.TooManyRequests)
        {
            return ProbeResult.Ok;
        }

        var answered = $"GET {provider.ProbePath} answered {code}";
        if (status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            return ProbeResult.Failed(keyMissing
                ? $"{answered}: no API key, configuration key '{provider.ApiKeySetting}' is empty"
                : string.IsNullOrEmpty(provider.ApiKeySetting)
                    ? $"{answered}: the provider wants an API key and none is configured (ApiKeySetting)"
                    : $"{answered}: the provider refused the API key from '{provider.ApiKeySetting}' (misconfigured key)");
        }

        return ProbeResult.Failed(answered);
    }
}
