using Gateway.Contracts.Configuration;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Gateway.Authentication;

public static class ApiKeyAuthenticationExtensions
{
    /// <summary>
    /// Registers API-key authentication against <see cref="GatewayOptions.Clients"/> as the default scheme, and the
    /// <see cref="GatewayAuth.AdminPolicy"/> and <see cref="GatewayAuth.AuditorPolicy"/> authorization policies.
    /// </summary>
    public static TBuilder AddGatewayApiKeyAuthentication<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddSingleton<ApiKeyDirectory>();
        builder.Services.AddAuthentication(GatewayAuth.Scheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(GatewayAuth.Scheme, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(GatewayAuth.AdminPolicy, policy => policy.RequireRole(GatewayAuth.AdminRole))
            .AddPolicy(GatewayAuth.AuditorPolicy, policy => policy.RequireRole(GatewayAuth.AuditorRole, GatewayAuth.AdminRole));
        return builder;
    }
}
