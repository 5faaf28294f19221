using Gateway.Contracts.Configuration;

namespace Gateway.AppHost.Configuration;

public static class GatewayConfigurationBuilderExtensions
{
    /// <summary>The gateway configuration of this run, with the demo admin client authenticated by <paramref name="adminKey"/>.</summary>
    public static IResourceBuilder<GatewayConfigurationResource> AddGatewayConfiguration(
        this IDistributedApplicationBuilder builder, string name, IResourceBuilder<ParameterResource> adminKey, string directory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(adminKey);
        return builder.AddResource(new GatewayConfigurationResource(name, directory, adminKey.Resource))
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = "GatewayConfiguration",
                Properties = [new(CustomResourceKnownProperties.Source, Path.Combine(directory, "gateway.json"))],
                // Not a process: the file it writes is what the services show, so the resource list stays one of running things.
                IsHidden = true,
            })
            .ExcludeFromManifest();
    }

    /// <summary>Adds a Streamable HTTP backend served by <paramref name="server"/> at <paramref name="path"/>, its names shown as <paramref name="naming"/> says.</summary>
    public static IResourceBuilder<GatewayConfigurationResource> WithHttpBackend(
        this IResourceBuilder<GatewayConfigurationResource> builder, string backendName, IResourceBuilder<IResourceWithEndpoints> server,
        BackendNaming naming = BackendNaming.Auto, string path = "/mcp")
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(server);
        var endpoint = server.Resource.GetEndpoint("http");
        var model = builder.ApplicationBuilder.Resources;
        builder.Resource.Configure(async (options, cancellationToken) =>
        {
            // A model started in part (a test of one service) may leave the server out: its backend is left out with it.
            if (!model.Contains(server.Resource))
            {
                return;
            }

            options.Backends.Add(new BackendOptions
            {
                Name = backendName,
                Transport = BackendTransport.Http,
                Naming = naming,
                Url = new Uri(new Uri(await endpoint.GetValueAsync(cancellationToken) ?? throw new InvalidOperationException($"{server.Resource.Name} has no http endpoint")), path),
            });
        });
        return builder;
    }

    /// <summary>Adds a stdio backend: the proxy launches <paramref name="command"/> itself; its names shown as <paramref name="naming"/> says.</summary>
    public static IResourceBuilder<GatewayConfigurationResource> WithStdioBackend(
        this IResourceBuilder<GatewayConfigurationResource> builder, string backendName, string command, string[] arguments,
        BackendNaming naming = BackendNaming.Auto)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Resource.Configure(options => options.Backends.Add(new BackendOptions
        {
            Name = backendName,
            Transport = BackendTransport.Stdio,
            Naming = naming,
            Command = command,
            Args = [.. arguments],
        }));
        return builder;
    }

    /// <summary>
    /// Adds an LLM provider served by <paramref name="server"/> under <c>/v1</c>, speaking <paramref name="kind"/>, whose
    /// key the services find under the configuration key <paramref name="apiKeySetting"/>.
    /// </summary>
    public static IResourceBuilder<GatewayConfigurationResource> WithProvider(
        this IResourceBuilder<GatewayConfigurationResource> builder,
        string providerName,
        IResourceBuilder<IResourceWithEndpoints> server,
        ProviderKind kind,
        string apiKeySetting)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(server);
        var endpoint = server.Resource.GetEndpoint("http");
        var model = builder.ApplicationBuilder.Resources;
        builder.Resource.Configure(async (options, cancellationToken) =>
        {
            // A model started in part may leave the server out: its provider goes, and so do the model targets on it.
            if (!model.Contains(server.Resource))
            {
                return;
            }

            var root = await endpoint.GetValueAsync(cancellationToken) ?? throw new InvalidOperationException($"{server.Resource.Name} has no http endpoint");
            options.Providers.Add(new ProviderOptions
            {
                Name = providerName,
                Kind = kind,
                BaseUrl = new Uri(root.TrimEnd('/') + "/v1"),
                ApiKeySetting = apiKeySetting,
            });
        });
        return builder;
    }

    /// <summary>
    /// Adds a model clients may ask for, served by <paramref name="targets"/> (provider, upstream model, priority);
    /// targets on providers left out of a partial model are dropped, and so is a model left without any.
    /// </summary>
    public static IResourceBuilder<GatewayConfigurationResource> WithModel(
        this IResourceBuilder<GatewayConfigurationResource> builder, string modelName, params (string Provider, string Model, int Priority)[] targets)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // Runs after every WithProvider before it, so it sees which providers made it into this run.
        builder.Resource.Configure(options =>
        {
            var present = options.Providers.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
            var kept = targets.Where(t => present.Contains(t.Provider))
                .Select(t => new ModelTargetOptions { Provider = t.Provider, Model = t.Model, Priority = t.Priority })
                .ToList();
            if (kept.Count > 0)
            {
                options.Models.Add(new ModelOptions { Name = modelName, Targets = kept });
            }
        });
        return builder;
    }

    /// <summary>
    /// Gives the service the gateway configuration: locally the written file (<c>Gateway__ConfigFile</c>); when
    /// published, the admin client from the admin key's hash parameter (the deployment brings its own backends).
    /// </summary>
    public static IResourceBuilder<T> WithGatewayConfiguration<T>(this IResourceBuilder<T> builder, IResourceBuilder<GatewayConfigurationResource> configuration)
        where T : IResourceWithEnvironment
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        if (builder.ApplicationBuilder.ExecutionContext.IsPublishMode)
        {
            var hash = builder.ApplicationBuilder.Resources.OfType<ParameterResource>().FirstOrDefault(p => p.Name == "admin-key-sha256")
                ?? builder.ApplicationBuilder.AddParameter("admin-key-sha256", secret: true).Resource;
            return builder
                .WithEnvironment("Gateway__Clients__0__Id", GatewayConfigurationResource.AdminClientId)
                .WithEnvironment("Gateway__Clients__0__KeySha256", hash)
                .WithEnvironment("Gateway__Clients__0__Roles__0", GatewayConfigurationResource.AdminRole);
        }

        return builder.WithEnvironment(async context =>
            context.EnvironmentVariables["Gateway__ConfigFile"] = await configuration.Resource.EnsureWrittenAsync());
    }
}
