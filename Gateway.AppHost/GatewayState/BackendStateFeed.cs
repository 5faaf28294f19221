using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.AppHost.GatewayState;

/// <summary>
/// Keeps every <see cref="BackendCircuitResource"/> in step with the gateway: twice a second it reads the health
/// monitor's authoritative breakers (<c>GET /api/backends</c>) and the proxy's kill switches, and publishes the state,
/// health and properties of each (the dashboard shows only what changed). Polling a local API keeps the AppHost free
/// of bus and Redis clients and reads the same answer an operator's tooling reads; the dashboard is live within a second.
/// </summary>
internal sealed partial class BackendStateFeed(
    IReadOnlyList<BackendCircuitResource> backends,
    GatewayAdminApi api,
    DistributedApplicationModel model,
    ResourceNotificationService notifications,
    ILogger<BackendStateFeed> logger) : BackgroundService
{
    /// <summary>How often the gateway is read: 500 ms, so a transition shows within a second.</summary>
    internal static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(500);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A model started in part (a test of one service) may leave the monitor or the proxy out: nothing to show then,
        // and waiting for a resource that is not in the model throws, which would stop the whole AppHost.
        if (!model.Resources.Contains(api.HealthMonitor.Resource) || !model.Resources.Contains(api.Proxy.Resource))
        {
            return;
        }

        await notifications.WaitForResourceHealthyAsync(api.HealthMonitor.Resource.Name, stoppingToken);
        using var timer = new PeriodicTimer(Interval);
        var unreachable = false;
        do
        {
            try
            {
                var monitor = await api.GetAsync<MonitorView>(api.HealthMonitor, "/api/backends", stoppingToken);
                var killSwitches = await api.GetAsync<List<KillSwitchView>>(api.Proxy, "/admin/kill-switches", stoppingToken);
                foreach (var resource in backends)
                {
                    var backend = monitor.Backends.FirstOrDefault(b => b.Name == resource.BackendName);
                    var killed = killSwitches.FirstOrDefault(k => k.Scope == resource.KillSwitchScope && k.Name == resource.BackendName)
                        ?? killSwitches.FirstOrDefault(k => k.Scope == "global");
                    await notifications.PublishUpdateAsync(resource, snapshot => Describe(snapshot, backend, killed));
                }

                unreachable = false;
            }
            catch (Exception ex) when (ex is HttpRequestException or JsonException or TaskCanceledException && !stoppingToken.IsCancellationRequested)
            {
                // The monitor or the proxy restarting: the dashboard keeps the last state until they answer again.
                if (!unreachable)
                {
                    LogUnreachable(logger, ex.Message);
                    unreachable = true;
                }
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private static CustomResourceSnapshot Describe(CustomResourceSnapshot snapshot, BackendView? backend, KillSwitchView? killed)
    {
        if (backend is null)
        {
            return snapshot with { State = new ResourceStateSnapshot("Unknown", KnownResourceStateStyles.Warn) };
        }

        var last = backend.Transitions.LastOrDefault();
        var described = snapshot with
        {
            State = new ResourceStateSnapshot(backend.State, StyleOf(backend.State)),
            Properties =
            [
                new("gateway.backend", backend.Name),
                new("gateway.kind", backend.Kind),
                new("gateway.breaker", backend.State),
                new("gateway.sequence", backend.Sequence),
                new("gateway.last-transition.at", backend.LastTransitionAt.ToString("O", CultureInfo.InvariantCulture)),
                new("gateway.last-transition.reason", last?.Reason ?? ""),
                new("gateway.last-transition.actor", last?.Actor ?? ""),
                new("gateway.open-until", backend.OpenUntil?.ToString("O", CultureInfo.InvariantCulture) ?? ""),
                new("gateway.kill-switch", killed is null ? "off" : killed.Scope),
            ],
        };
        return described.WithHealthReports(
        [
            new HealthReportSnapshot("probe", backend.Healthy switch { true => HealthStatus.Healthy, false => HealthStatus.Unhealthy, null => null }, backend.LastError, null),
            new HealthReportSnapshot("kill-switch", killed is null ? HealthStatus.Healthy : HealthStatus.Unhealthy, killed is null ? "off" : $"{killed.Scope} switch engaged by {killed.Actor}: {killed.Reason}", null),
        ]);
    }

    private static string StyleOf(string state) => state switch
    {
        "Closed" => KnownResourceStateStyles.Success,
        "HalfOpen" => KnownResourceStateStyles.Warn,
        _ => KnownResourceStateStyles.Error,
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Gateway state not readable yet: {Reason}")]
    private static partial void LogUnreachable(ILogger logger, string reason);

    private sealed record MonitorView(bool Leader, List<BackendView> Backends);

    private sealed record BackendView(
        string Name, string Kind, bool? Healthy, string State, string? LastError, DateTimeOffset? OpenUntil, DateTimeOffset LastTransitionAt, long Sequence, List<TransitionView> Transitions);

    private sealed record TransitionView(string Reason, string Actor);

    private sealed record KillSwitchView(string Scope, string Name, string Actor, string? Reason);
}
