using System.Text.Json.Serialization;
using Gateway.Contracts.Circuit;
using Gateway.HealthMonitor.Api;
using Gateway.HealthMonitor.Breakers;
using Gateway.HealthMonitor.Leadership;
using Gateway.HealthMonitor.Monitoring;
using Gateway.HealthMonitor.Outcomes;
using Gateway.HealthMonitor.Probes;
using Gateway.HealthMonitor.Transitions;
using Gateway.Authentication;
using Gateway.Authentication.Upstream;
using Gateway.Messaging;
using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Gateway.HealthMonitor.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddRedisClient(
            "redis",
            settings =>
            {
                settings.DisableAutoActivation = true;
                // Every lease renewal, snapshot poll and token bucket would be a root span of its own: dozens of traces a
                // second that bury the calls in the dashboard, and a profiler session on every command of the hot path.
                settings.DisableTracing = true;
            },
            options =>
            {
                // Start-up never waits for Redis: the client keeps reconnecting in the background while leadership
                // and snapshot calls fail with RedisConnectionExceptions meanwhile. Short timeouts, so a call on a
                // dead connection fails fast instead of stalling the election loop.
                options.AbortOnConnectFail = false;
                options.ConnectRetry = Math.Max(options.ConnectRetry, 3);
                options.ConnectTimeout = Math.Min(options.ConnectTimeout, 2_000);
                options.SyncTimeout = Math.Min(options.SyncTimeout, 2_000);
            });
        builder.AddGatewayAuthentication();
        builder.AddHealthMonitoring();
    }

    /// <summary>Leader election, authoritative breakers, active probes and the bus endpoints that feed and follow them.</summary>
    private static void AddHealthMonitoring(this IHostApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection(HealthMonitorOptions.SectionName);
        builder.Services.AddOptions<HealthMonitorOptions>().Bind(section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        // Each probe carries its own ProbeTimeout (up to 10 min); the client's 100 s default must not cut it short.
        // Probes present each backend's own credential, as the proxy's calls do (a backend requiring one would otherwise
        // fail them), and no header's value is ever logged, whatever the level.
        builder.Services.AddUpstreamCredentials();
        builder.Services.AddHttpClient(ProbeScheduler.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .AddHttpMessageHandler(sp => new CredentialHandler(sp.GetRequiredService<UpstreamCredentials>()))
            .RedactLoggedHeaders(_ => true);
        // Provider probes carry the provider's own API key, set by the probe.
        builder.Services.AddHttpClient(ProviderProbe.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .RedactLoggedHeaders(_ => true);
        // A standby forwarding an admin action waits for the leader's commit, which is quick unless Redis is slow.
        builder.Services.AddHttpClient(LeaderForwarder.HttpClientName, client => client.Timeout = TimeSpan.FromSeconds(10));
        // The API speaks the bus messages' JSON: states as names ("Open"), not numbers.
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));

        builder.Services.AddSingleton(sp => new LeadershipState(sp.GetRequiredService<IOptions<HealthMonitorOptions>>().Value.InstanceId));
        builder.Services.AddSingleton<PendingTransitions>();
        builder.Services.AddSingleton<AuthoritativeBreakers>();
        builder.Services.AddSingleton<AdvertisedAddress>();
        builder.Services.AddSingleton<LeaderLease>();
        builder.Services.AddSingleton<LeaderForwarder>();
        builder.Services.AddSingleton<CircuitSnapshotStore>();
        builder.Services.AddSingleton<LeaderElection>();
        builder.Services.AddSingleton<McpPingProbe>();
        builder.Services.AddSingleton<HealthPathProbe>();
        builder.Services.AddSingleton<ProviderProbe>();
        builder.Services.AddSingleton<ProbeScheduler>();

        builder.Services.AddHostedService(sp => sp.GetRequiredService<LeaderElection>());
        builder.Services.AddHostedService<TransitionWriter>();
        builder.Services.AddHostedService<BreakerClock>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ProbeScheduler>());

        // Every replica must see every outcome report and transition: per-instance, auto-deleted queues, never a
        // competing-consumer queue shared by the replicas. The queues carry the lease's id (generated once here when
        // not configured), so the broker's queue list names the same replicas as the lease.
        var instanceId = section[nameof(HealthMonitorOptions.InstanceId)] ?? new HealthMonitorOptions().InstanceId;
        builder.Services.PostConfigure<HealthMonitorOptions>(options => options.InstanceId = instanceId);
        builder.AddGatewayMessaging(bus =>
        {
            bus.AddConsumer<OutcomeBatchConsumer>().Endpoint(e => e.PerInstance(instanceId));
            bus.AddConsumer<LeaderTransitionConsumer>().Endpoint(e => e.PerInstance(instanceId));
        });
    }
}
