using Gateway.Authentication.Bearer;
using Gateway.Contracts.Configuration;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Gateway.Authentication;

public static class GatewayAuthenticationExtensions
{
    /// <summary>
    /// Registers the <see cref="GatewayAuth.CallerScheme"/> as the default scheme: API keys against
    /// <see cref="GatewayOptions.Clients"/>, and bearer tokens of each issuer in <see cref="OAuthOptions.Issuers"/>
    /// (one JwtBearer scheme each, following configuration reloads), picked by the credential's shape. Also the policies every endpoint uses:
    /// <see cref="GatewayAuth.CallerPolicy"/> (data plane), <see cref="GatewayAuth.AdminPolicy"/> and
    /// <see cref="GatewayAuth.AuditorPolicy"/>; all three refuse a token lacking its issuer's required scopes.
    /// </summary>
    public static TBuilder AddGatewayAuthentication<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ApiKeyDirectory>();
        services.AddOptions<TrustedHostOptions>().BindConfiguration(TrustedHostOptions.SectionName);
        services.AddSingleton<ResourceMetadata>();
        services.AddSingleton<ValidatedTokenCache>();
        services.AddSingleton<GatewayCallerAuthenticator>();
        var authentication = services.AddAuthentication(GatewayAuth.CallerScheme)
            .AddScheme<AuthenticationSchemeOptions, GatewayCallerHandler>(GatewayAuth.CallerScheme, null)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(GatewayAuth.Scheme, null);

        // One JwtBearer scheme per issuer, added when its first token arrives and configured from the current
        // options (IssuerSchemeOptions), so issuers added or changed by a configuration reload apply without a restart.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<JwtBearerOptions>, JwtBearerPostConfigureOptions>());
        services.AddSingleton<IConfigureOptions<JwtBearerOptions>, IssuerSchemeOptions>();

        services.AddSingleton<IAuthorizationHandler, RequiredScopesHandler>();
        services.AddAuthorizationBuilder()
            .AddPolicy(GatewayAuth.CallerPolicy, policy => policy.RequireAuthenticatedUser().AddRequirements(RequiredScopes.Instance))
            .AddPolicy(GatewayAuth.AdminPolicy, policy => policy.RequireRole(GatewayAuth.AdminRole).AddRequirements(RequiredScopes.Instance))
            .AddPolicy(GatewayAuth.AuditorPolicy, policy =>
                policy.RequireRole(GatewayAuth.AuditorRole, GatewayAuth.AdminRole).AddRequirements(RequiredScopes.Instance));
        return builder;
    }
}
