using Microsoft.Extensions.DependencyInjection;

namespace Gateway.AppHost.GatewayState;

public static class GatewayStateBuilderExtensions
{
    /// <summary>
    /// Shows each of <paramref name="backends"/> (MCP servers) and <paramref name="providers"/> (LLM providers) in the
    /// dashboard as a child of <paramref name="proxy"/>, named <c>{name}-circuit</c>, whose state is its breaker state,
    /// with the <c>isolate</c>, <c>reset</c>, <c>kill-switch-on</c> and <c>kill-switch-off</c> commands (the backend's
    /// or the provider's kill switch); and gives the proxy the global kill switch commands. Every command calls the
    /// real admin API with <paramref name="adminKey"/>.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithGatewayBackendsInDashboard(
        this IResourceBuilder<ProjectResource> proxy,
        IResourceBuilder<ProjectResource> healthMonitor,
        IResourceBuilder<ParameterResource> adminKey,
        IEnumerable<string> backends,
        IEnumerable<string> providers)
    {
        ArgumentNullException.ThrowIfNull(proxy);
        ArgumentNullException.ThrowIfNull(healthMonitor);
        ArgumentNullException.ThrowIfNull(adminKey);
        ArgumentNullException.ThrowIfNull(backends);
        ArgumentNullException.ThrowIfNull(providers);
        var builder = proxy.ApplicationBuilder;
        if (builder.ExecutionContext.IsPublishMode)
        {
            return proxy;
        }

        var api = new GatewayAdminApi(healthMonitor.Resource.GetEndpoint("http"), proxy.Resource.GetEndpoint("http"), adminKey.Resource);
        var resources = backends.Select(name => new BackendCircuitResource($"{name}-circuit", name, BackendCircuitResource.BackendScope))
            .Concat(providers.Select(name => new BackendCircuitResource($"{name}-circuit", name, BackendCircuitResource.ProviderScope)))
            .Select(resource => builder.AddCircuitResource(resource, proxy, api))
            .ToList();

        builder.Services.AddHostedService(services => ActivatorUtilities.CreateInstance<BackendStateFeed>(services, (IReadOnlyList<BackendCircuitResource>)resources, api));
        return proxy
            .WithGatewayCommand(api, api.Proxy, "global-kill-switch-on", "Global kill switch on", HttpMethod.Put, "/admin/kill-switches/global", "PlugDisconnected",
                "Refuse every call through the gateway until the switch is turned off.")
            .WithGatewayCommand(api, api.Proxy, "global-kill-switch-off", "Global kill switch off", HttpMethod.Delete, "/admin/kill-switches/global", "PlugConnected",
                "Let calls through the gateway again.");
    }

    private static BackendCircuitResource AddCircuitResource(
        this IDistributedApplicationBuilder builder, BackendCircuitResource resource, IResourceBuilder<ProjectResource> proxy, GatewayAdminApi api)
    {
        var name = Uri.EscapeDataString(resource.BackendName);
        var what = resource.KillSwitchScope;
        var calls = what == BackendCircuitResource.ProviderScope ? "requests to this provider" : "calls to this backend";
        return builder.AddResource(resource)
            .WithParentRelationship(proxy)
            .WithInitialState(new CustomResourceSnapshot
            {
                ResourceType = BackendCircuitResource.ResourceTypeName,
                State = new ResourceStateSnapshot(KnownResourceStates.NotStarted, KnownResourceStateStyles.Info),
                Properties = [new("gateway.backend", resource.BackendName)],
            })
            .WithIconName(what == BackendCircuitResource.ProviderScope ? "BrainCircuit" : "PlugConnected")
            .WithGatewayCommand(api, api.HealthMonitor, "isolate", "Isolate", HttpMethod.Post, $"/api/backends/{name}/isolate", "ShieldError",
                $"Open the circuit until an operator resets it: every proxy refuses {calls}.")
            .WithGatewayCommand(api, api.HealthMonitor, "reset", "Reset", HttpMethod.Post, $"/api/backends/{name}/reset", "ArrowReset",
                "Close the circuit and clear its failure counts.")
            .WithGatewayCommand(api, api.Proxy, "kill-switch-on", "Kill switch on", HttpMethod.Put, resource.KillSwitchPath, "PlugDisconnected",
                $"Refuse {calls} on every proxy until the switch is turned off.")
            .WithGatewayCommand(api, api.Proxy, "kill-switch-off", "Kill switch off", HttpMethod.Delete, resource.KillSwitchPath, "PlugConnected",
                $"Let {calls} through again.")
            .ExcludeFromManifest()
            .Resource;
    }

    private static IResourceBuilder<T> WithGatewayCommand<T>(
        this IResourceBuilder<T> builder, GatewayAdminApi api, EndpointReference target, string name, string displayName, HttpMethod method, string path, string icon, string description)
        where T : IResource =>
        builder.WithCommand(name, displayName, context => api.SendAsync(target, method, path, context.CancellationToken), new CommandOptions
        {
            Description = description,
            IconName = icon,
            // The target service must be up, whatever the state of this view of it.
            UpdateState = _ => ResourceCommandState.Enabled,
        });
}
