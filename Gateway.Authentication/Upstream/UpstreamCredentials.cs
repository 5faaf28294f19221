using Gateway.Contracts.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Gateway.Authentication.Upstream;

/// <summary>
/// The header each backend gets instead of anything the client sent: a static secret read from configuration, or an
/// access token the gateway obtains for itself (<see cref="OAuthTokenSource"/>). The secret's configuration key is in
/// the gateway configuration, never the secret, so it cannot end up in health output, audit or logs of the options.
/// Used for the proxy's calls and the health monitor's probes alike.
/// </summary>
public sealed class UpstreamCredentials(IOptionsMonitor<GatewayOptions> options, IConfiguration configuration, OAuthTokenSource tokens)
{
    /// <summary>Request option naming the backend a request is for, where one client serves several (the monitor's probes).</summary>
    public static readonly HttpRequestOptionsKey<string> BackendOption = new("Gateway.Backend");

    /// <summary>The (header, value) for <paramref name="backend"/>'s next request, or null when it has no credential.</summary>
    public async ValueTask<(string Header, string Value)?> GetAsync(string backend, CancellationToken cancellationToken)
    {
        if (Find(backend) is not { Kind: not CredentialKind.None } credential)
        {
            return null;
        }

        var value = credential.Kind switch
        {
            CredentialKind.Header => HeaderValue(credential),
            CredentialKind.ClientCredentials => "Bearer " + await tokens.GetAsync(credential, Secret(credential), subjectToken: null, cancellationToken),
            CredentialKind.TokenExchange => "Bearer " + await tokens.GetAsync(credential, Secret(credential), SubjectToken(backend), cancellationToken),
            _ => throw new InvalidOperationException($"Credential kind {credential.Kind} is not supported for backend '{backend}'."),
        };
        return (credential.Header, value);
    }

    /// <summary>Whether any backend exchanges the user's token: only then does a request keep it (<see cref="CallingUser"/>).</summary>
    public bool ExchangesUserTokens()
    {
        foreach (var backend in options.CurrentValue.Backends)
        {
            if (backend.Credential?.Kind == CredentialKind.TokenExchange)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The user's token inside a request; null outside one (the gateway's own token); an API-key caller is refused.</summary>
    private static string? SubjectToken(string backend) => CallingUser.Current switch
    {
        null => null,
        { Token: { } token } => token,
        _ => throw new HttpRequestException(
            $"Backend '{backend}' acts on the user's behalf (token exchange): call it with an OAuth access token, not an API key."),
    };

    private BackendCredentialOptions? Find(string backend)
    {
        foreach (var candidate in options.CurrentValue.Backends)
        {
            if (string.Equals(candidate.Name, backend, StringComparison.Ordinal))
            {
                return candidate.Credential;
            }
        }

        return null;
    }

    private string HeaderValue(BackendCredentialOptions credential)
    {
        var secret = Secret(credential);
        return credential.Scheme.Length == 0 ? secret : credential.Scheme + " " + secret;
    }

    /// <summary>The secret from configuration; the error names the key, never a value.</summary>
    private string Secret(BackendCredentialOptions credential) =>
        configuration[credential.SecretSetting!] is { Length: > 0 } secret
            ? secret
            : throw new InvalidOperationException($"The credential secret '{credential.SecretSetting}' is not set in configuration.");
}
