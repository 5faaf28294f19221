using Microsoft.Extensions.DependencyInjection;

namespace Gateway.AppHost.GatewayState;

public static class GatewayStateBuilderExtensions
{
    /// <summary>
    /// Shows each of <paramref name="backendNames"/> in the dashboard as a child of <paramref name="proxy"/>, named
    /// <c>{backend}-circuit</c>, whose state is the backend's breaker state, with the <c>isolate</c>, <c>reset</c>,
    /// <c>kill-switch-on</c> and <c>kill-switch-off</c> commands; and gives the proxy the global kill switch commands.
    /// Every command calls the real admin API with <paramref name="adminKey"/>.
    /// </summary>
    public static IResourceBuilder<ProjectResource> WithGatewayBackendsInDashboard(
        this IResourceBuilder<ProjectResource> proxy,
        IResourceBuilder<ProjectResource> healthMonitor,
        IResourceBuilder<ParameterResource> adminKey,
        params string[] backendNames)
    {
        ArgumentNullException.ThrowIfNull(proxy);
        ArgumentNullException.ThrowIfNull(healthMonitor);
        ArgumentNullException.ThrowIfNull(adminKey);
        var builder = proxy.ApplicationBuilder;
        if (builder.ExecutionContext.IsPublishMode)
        {
            return proxy;
        }

        var api = new GatewayAdminApi(healthMonitor.Resource.GetEndpoint("http"), proxy.Resource.GetEndpoint("http"), adminKey.Resource);
        var resources = backendNames.Select(backend => builder.AddResource(new BackendCircuitResource($"{backend}-circuit", backend))
                .WithParentRelationship(proxy)
                .WithInitialState(new CustomResourceSnapshot
                {
                    ResourceType = BackendCircuitResource.ResourceTypeName,
                    State = new ResourceStateSnapshot(KnownResourceStates.NotStarted, KnownResourceStateStyles.Info),
                    Properties = [new("gateway.backend", backend)],
                })
                .WithIconName("PlugConnected")
                .WithGatewayCommand(api, api.HealthMonitor, "isolate", "Isolate", HttpMethod.Post, $"/api/backends/{backend}/isolate", "ShieldError",
                    "Open the circuit until an operator resets it: every proxy refuses calls to this backend.")
                .WithGatewayCommand(api, api.HealthMonitor, "reset", "Reset", HttpMethod.Post, $"/api/backends/{backend}/reset", "ArrowReset",
                    "Close the circuit and clear its failure counts.")
                .WithGatewayCommand(api, api.Proxy, "kill-switch-on", "Kill switch on", HttpMethod.Put, $"/admin/kill-switches/backends/{backend}", "PlugDisconnected",
                    "Refuse every call to this backend on every proxy until the switch is turned off.")
                .WithGatewayCommand(api, api.Proxy, "kill-switch-off", "Kill switch off", HttpMethod.Delete, $"/admin/kill-switches/backends/{backend}", "PlugConnected",
                    "Let calls to this backend through again.")
                .ExcludeFromManifest()
                .Resource)
            .ToList();

        builder.Services.AddHostedService(services => ActivatorUtilities.CreateInstance<BackendStateFeed>(services, (IReadOnlyList<BackendCircuitResource>)resources, api));
        return proxy
            .WithGatewayCommand(api, api.Proxy, "global-kill-switch-on", "Global kill switch on", HttpMethod.Put, "/admin/kill-switches/global", "PlugDisconnected",
                "Refuse every call through the gateway until the switch is turned off.")
            .WithGatewayCommand(api, api.Proxy, "global-kill-switch-off", "Global kill switch off", HttpMethod.Delete, "/admin/kill-switches/global", "PlugConnected",
                "Let calls through the gateway again.");
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
