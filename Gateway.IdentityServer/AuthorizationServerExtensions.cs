using Gateway.IdentityServer.Clients;
using Gateway.IdentityServer.Endpoints;
using Gateway.IdentityServer.Signing;
using Microsoft.EntityFrameworkCore;

namespace Gateway.IdentityServer;

internal static class AuthorizationServerExtensions
{
    /// <summary>
    /// OpenIddict as an OAuth 2.1 server: authorization code with PKCE (required), refresh tokens, client credentials
    /// and token exchange; RFC 8707 resources (the gateway and the configured ones); access tokens as signed, not
    /// encrypted, JWTs so resource servers validate them with the JWKS; keys persisted in <see cref="IdentityServerOptions.KeyDirectory"/>.
    /// The store is EF Core in memory: clients and scopes are seeded at every start (<see cref="ClientSeeder"/>).
    /// </summary>
    public static IHostApplicationBuilder AddAuthorizationServer(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<IdentityServerOptions>().BindConfiguration(IdentityServerOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        var settings = builder.Configuration.GetSection(IdentityServerOptions.SectionName).Get<IdentityServerOptions>() ?? new();
        var keys = settings.KeyDirectory ?? Path.Combine(builder.Environment.ContentRootPath, "keys");

        services.AddDbContext<DbContext>(options =>
        {
            options.UseInMemoryDatabase("identity");
            options.UseOpenIddict();
        });
        services.AddOpenIddict()
            .AddCore(core =>
            {
                core.UseEntityFrameworkCore().UseDbContext<DbContext>();
                core.ReplaceApplicationManager<OpenIddict.EntityFrameworkCore.Models.OpenIddictEntityFrameworkCoreApplication, LoopbackApplicationManager>();
            })
            .AddServer(server =>
            {
                if (settings.Issuer is { } issuer)
                {
                    server.SetIssuer(issuer);
                }

                server.SetAuthorizationEndpointUris(TokenEndpoints.AuthorizePath[1..])
                    .SetTokenEndpointUris(TokenEndpoints.TokenPath[1..]);
                server.AllowAuthorizationCodeFlow().RequireProofKeyForCodeExchange()
                    .AllowRefreshTokenFlow()
                    .AllowClientCredentialsFlow()
                    .AllowTokenExchangeFlow();
                if (settings.GatewayResource is not null)
                {
                    server.RegisterResources([.. ClientSeeder.Resources(settings)]);
                }

                server.RegisterScopes([.. settings.Scopes]);
                server.AddSigningKey(PersistedKeys.Load(keys, "signing"))
                    .AddEncryptionKey(PersistedKeys.Load(keys, "encryption"))
                    .DisableAccessTokenEncryption();
                server.UseAspNetCore()
                    .EnableAuthorizationEndpointPassthrough()
                    .EnableTokenEndpointPassthrough()
                    // The demo runs on plain http on loopback; in production the server sits behind TLS.
                    .DisableTransportSecurityRequirement();
            });
        services.AddHostedService<ClientSeeder>();
        return builder;
    }
}
