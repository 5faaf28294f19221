using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Gateway.IdentityServer.Clients;

/// <summary>
/// Registers the demo's clients and scopes at start (the store is in memory): the public MCP host client
/// (authorization code + PKCE, loopback redirects), each confidential client (client credentials, and token exchange
/// where allowed), and the scopes with the gateway as their resource.
/// </summary>
internal sealed class ClientSeeder(IServiceProvider services, IOptions<IdentityServerOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        await using var scope = services.CreateAsyncScope();
        var applications = scope.ServiceProvider.GetRequiredService<IOpenIddictApplicationManager>();
        var scopes = scope.ServiceProvider.GetRequiredService<IOpenIddictScopeManager>();
        var resources = Resources(settings);

        foreach (var name in settings.Scopes)
        {
            if (await scopes.FindByNameAsync(name, cancellationToken) is null)
            {
                var descriptor = new OpenIddictScopeDescriptor { Name = name };
                descriptor.Resources.UnionWith(resources);
                await scopes.CreateAsync(descriptor, cancellationToken);
            }
        }

        var host = new OpenIddictApplicationDescriptor
        {
            ClientId = settings.McpHostClientId,
            ClientType = ClientTypes.Public,
            ApplicationType = ApplicationTypes.Native,
            DisplayName = "MCP hosts",
        };
        host.RedirectUris.UnionWith(settings.McpHostRedirectUris);
        host.Permissions.UnionWith(
        [
            Permissions.Endpoints.Authorization, Permissions.Endpoints.Token,
            Permissions.GrantTypes.AuthorizationCode, Permissions.GrantTypes.RefreshToken, Permissions.ResponseTypes.Code,
        ]);
        host.Requirements.Add(Requirements.Features.ProofKeyForCodeExchange);
        Grant(host, settings, resources);
        await CreateAsync(applications, host, cancellationToken);

        foreach (var client in settings.Clients)
        {
            var descriptor = new OpenIddictApplicationDescriptor
            {
                ClientId = client.ClientId,
                ClientSecret = client.Secret,
                ClientType = ClientTypes.Confidential,
                DisplayName = client.ClientId,
            };
            descriptor.Permissions.UnionWith([Permissions.Endpoints.Token, Permissions.GrantTypes.ClientCredentials]);
            if (client.TokenExchange)
            {
                descriptor.Permissions.Add(Permissions.GrantTypes.TokenExchange);
            }

            Grant(descriptor, settings, resources);
            await CreateAsync(applications, descriptor, cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public static string[] Resources(IdentityServerOptions settings) =>
        [settings.GatewayResource!.AbsoluteUri, .. settings.Resources.Select(r => r.AbsoluteUri)];

    private static void Grant(OpenIddictApplicationDescriptor descriptor, IdentityServerOptions settings, string[] resources)
    {
        descriptor.Permissions.UnionWith(settings.Scopes.Select(s => Permissions.Prefixes.Scope + s));
        descriptor.Permissions.UnionWith(resources.Select(r => Permissions.Prefixes.Resource + r));
    }

    private static async Task CreateAsync(IOpenIddictApplicationManager applications, OpenIddictApplicationDescriptor descriptor, CancellationToken cancellationToken)
    {
        if (await applications.FindByClientIdAsync(descriptor.ClientId!, cancellationToken) is null)
        {
            await applications.CreateAsync(descriptor, cancellationToken);
        }
    }
}
