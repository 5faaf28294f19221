using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Authentication.Upstream;

public static class UpstreamCredentialsExtensions
{
    /// <summary>
    /// Registers <see cref="UpstreamCredentials"/>: each backend's own credential (<c>Backends[i].Credential</c>), the
    /// OAuth tokens the gateway obtains for it, and the client that asks the token endpoints.
    /// </summary>
    public static IServiceCollection AddUpstreamCredentials(this IServiceCollection services)
    {
        services.AddSingleton<UpstreamCredentials>();
        services.AddSingleton<OAuthTokenSource>();
        services.AddHttpClient(OAuthTokenSource.HttpClientName);
        return services;
    }
}
