using Gateway.AppHost.Configuration;
using Gateway.Contracts.Configuration;

namespace Gateway.AppHost.Identity;

public static class IdentityServerBuilderExtensions
{
    /// <summary>The scope MCP hosts and agents ask for, and the gateway requires.</summary>
    public const string ToolsScope = "mcp:tools";

    /// <summary>The demo authorization server's user, and the confidential client agents use (client credentials).</summary>
    public const string DemoUser = "alice";
    public const string AgentClientId = "demo-agent";

    /// <summary>The role the demo user and agent get: every tool, resource and prompt, no admin API.</summary>
    public const string UserRole = "user";

    /// <summary>The gateway's own client at the server, for backends that need a token of their own or on behalf of the user.</summary>
    public const string GatewayClientId = "gateway";

    /// <summary>
    /// The demo authorization server (Gateway.IdentityServer, OpenIddict): the demo user <see cref="DemoUser"/> with
    /// <paramref name="userPassword"/>, the public client <c>mcp-host</c> (authorization code + PKCE, loopback
    /// redirects on any port), the agent client (<paramref name="agentSecret"/>) and the gateway's client
    /// (<paramref name="gatewaySecret"/>, token exchange allowed). Its signing keys live in <paramref name="keyDirectory"/>
    /// (the run folder), so a restarted server still verifies the tokens it issued. Every token's audience is the
    /// proxy's <c>/mcp</c> URL.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddGatewayIdentityServer(
        this IDistributedApplicationBuilder builder,
        string name,
        string keyDirectory,
        IResourceBuilder<ParameterResource> userPassword,
        IResourceBuilder<ParameterResource> agentSecret,
        IResourceBuilder<ParameterResource> gatewaySecret)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var server = builder.AddProject<Projects.Gateway_IdentityServer>(name).WithHttpEndpoint(port: 5083);
        var issuer = server.GetEndpoint("http");
        return server
            .WithEnvironment("Identity__Issuer", issuer)
            .WithEnvironment("Identity__KeyDirectory", keyDirectory)
            .WithEnvironment("Identity__User__Name", DemoUser)
            .WithEnvironment("Identity__User__Password", userPassword)
            .WithEnvironment("Identity__User__Roles__0", UserRole)
            .WithEnvironment("Identity__Scopes__0", ToolsScope)
            .WithEnvironment("Identity__Clients__0__ClientId", AgentClientId)
            .WithEnvironment("Identity__Clients__0__Secret", agentSecret)
            .WithEnvironment("Identity__Clients__0__Roles__0", UserRole)
            .WithEnvironment("Identity__Clients__1__ClientId", GatewayClientId)
            .WithEnvironment("Identity__Clients__1__Secret", gatewaySecret)
            .WithEnvironment("Identity__Clients__1__TokenExchange", "true")
            .WithHttpHealthCheck("/health");
    }

    /// <summary>Tells the server which resource it issues tokens for: the proxy's <c>/mcp</c>.</summary>
    public static IResourceBuilder<ProjectResource> ForGateway(this IResourceBuilder<ProjectResource> server, IResourceBuilder<ProjectResource> proxy)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(proxy);
        return server.WithEnvironment("Identity__GatewayResource", ReferenceExpression.Create($"{proxy.GetEndpoint("http")}/mcp"));
    }

    /// <summary>
    /// The gateway trusts the server: its issuer, the proxy's <c>/mcp</c> URL as resource (audience), the scope
    /// required, OpenIddict's <c>role</c> claim for roles. Left out of a model started without the server.
    /// </summary>
    public static IResourceBuilder<GatewayConfigurationResource> WithIdentityServer(
        this IResourceBuilder<GatewayConfigurationResource> configuration, IResourceBuilder<ProjectResource> server, IResourceBuilder<ProjectResource> proxy)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(proxy);
        var model = configuration.ApplicationBuilder.Resources;
        configuration.Resource.Configure(async (options, cancellationToken) =>
        {
            if (!model.Contains(server.Resource) || !model.Contains(proxy.Resource))
            {
                return;
            }

            var issuer = await server.GetEndpoint("http").GetValueAsync(cancellationToken);
            var gateway = await proxy.GetEndpoint("http").GetValueAsync(cancellationToken);
            options.OAuth.Resource = new Uri(gateway + "/mcp");
            options.Roles.TryAdd(UserRole, new RoleOptions { Tools = ["*"], Resources = ["*"], Prompts = ["*"] });
            options.OAuth.Issuers.Add(new IssuerOptions
            {
                Name = "demo",
                Issuer = new Uri(issuer + "/"),
                RolesClaim = "role",
                RequiredScopes = [ToolsScope],
            });
        });
        return configuration;
    }

    /// <summary>
    /// Published, the gateway trusts the user's own identity provider: its issuer URL and the gateway's public
    /// resource URI are parameters (<c>oauth-issuer</c>, <c>gateway-resource</c>) given to every service.
    /// </summary>
    public static IResourceBuilder<T> WithPublishedIssuer<T>(this IResourceBuilder<T> service)
        where T : IResourceWithEnvironment
    {
        ArgumentNullException.ThrowIfNull(service);
        var resources = service.ApplicationBuilder.Resources.OfType<ParameterResource>().ToList();
        var issuer = resources.FirstOrDefault(p => p.Name == "oauth-issuer") ?? service.ApplicationBuilder.AddParameter("oauth-issuer").Resource;
        var resource = resources.FirstOrDefault(p => p.Name == "gateway-resource") ?? service.ApplicationBuilder.AddParameter("gateway-resource").Resource;
        return service
            .WithEnvironment("Gateway__OAuth__Resource", resource)
            .WithEnvironment("Gateway__OAuth__Issuers__0__Name", "default")
            .WithEnvironment("Gateway__OAuth__Issuers__0__Issuer", issuer);
    }
}
