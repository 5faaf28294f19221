using System.Net.Http.Json;
using Aspire.Hosting.ApplicationModel;
using Gateway.Testing;
using Gateway.Testing.Aspire;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Gateway.IntegrationTests.Foundation;

/// <summary>
/// The gateway's own state as Aspire resources: each backend's and provider's breaker state, and the admin actions as
/// resource commands.
/// </summary>
[Collection(WholeSystemTests.Name)]
public sealed class GatewayStateInDashboardTests(WholeSystemFixture fixture)
{
    /// <summary>The fake provider's fault plan: its models endpoint, the one the monitor probes, answers 503.</summary>
    private static readonly object ModelsFail = new { mode = "error", status = 503, paths = new[] { "/v1/models" } };

    [Theory]
    [InlineData("everything-circuit", "everything")]
    [InlineData("everything-stdio-circuit", "everything-stdio")]
    public async Task Each_configured_backend_is_a_resource_whose_state_is_its_breaker_state(string resource, string backend)
    {
        var snapshot = await StateAsync(resource, "Closed");

        Assert.Equal(backend, Property(snapshot, "gateway.backend"));
        Assert.Equal("off", Property(snapshot, "gateway.kill-switch"));
        Assert.Contains(snapshot.Commands, c => c.Name == "isolate");
        Assert.Contains(snapshot.Commands, c => c.Name == "reset");
    }

    [Theory]
    [InlineData("llm-primary-circuit", "llm-primary")]
    [InlineData("llm-secondary-circuit", "llm-secondary")]
    [InlineData("llm-primary-anthropic-circuit", "llm-primary-anthropic")]
    public async Task Each_configured_provider_is_a_resource_whose_state_is_its_breaker_state_probed_by_the_monitor(string resource, string provider)
    {
        var snapshot = await StateAsync(resource, "Closed");

        Assert.Equal((provider, "provider"), (Property(snapshot, "gateway.backend"), Property(snapshot, "gateway.kind")));
        Assert.Equal("off", Property(snapshot, "gateway.kill-switch"));
        Assert.Equal(["isolate", "reset", "kill-switch-on", "kill-switch-off"], snapshot.Commands.Select(c => c.Name).Where(n => n is "isolate" or "reset" or "kill-switch-on" or "kill-switch-off"));
        // The monitor probes it with the run's key: the fake refuses any other, and healthy needs two answered probes.
        var probed = await Eventually.ValueAsync(async () => await MonitorViewAsync(provider) is { Healthy: true } view ? view : null, what: $"{provider} probed healthy");
        Assert.Equal("provider", probed.Kind);
        Assert.NotNull(probed.Probes.LastProbeAt);
    }

    [Fact]
    public async Task The_isolate_command_on_a_provider_isolates_it_in_the_monitor_and_the_dashboard()
    {
        await StateAsync("llm-secondary-circuit", "Closed");
        try
        {
            await fixture.App.ExecuteCommandAsync("llm-secondary-circuit", "isolate").ShouldSucceed();

            var isolated = await StateAsync("llm-secondary-circuit", "Isolated");
            Assert.Equal("demo-admin", Property(isolated, "gateway.last-transition.actor"));
            Assert.Equal("Isolated", (await MonitorViewAsync("llm-secondary"))!.State);
        }
        finally
        {
            await fixture.App.ExecuteCommandAsync("llm-secondary-circuit", "reset").ShouldSucceed();
            await StateAsync("llm-secondary-circuit", "Closed");
        }
    }

    [Fact]
    public async Task A_provider_whose_models_endpoint_fails_is_probed_unhealthy_and_its_circuit_opens()
    {
        await StateAsync("llm-secondary-circuit", "Closed");
        using var fake = fixture.App.CreateHttpClient("llm-secondary");
        try
        {
            using var fault = await fake.PutAsJsonAsync(new Uri("/fake/fault", UriKind.Relative), ModelsFail);
            fault.EnsureSuccessStatusCode();

            var opened = await StateAsync("llm-secondary-circuit", "Open");

            Assert.Contains("GET models answered 503", Property(opened, "gateway.last-transition.reason"), StringComparison.Ordinal);
            Assert.Contains(opened.HealthReports, r => r.Name == "probe" && r.Status == HealthStatus.Unhealthy);
            Assert.Equal("llm-secondary", (await MonitorViewAsync("llm-secondary")) is { Healthy: false } view ? view.Name : null);
        }
        finally
        {
            (await fake.DeleteAsync(new Uri("/fake/fault", UriKind.Relative))).EnsureSuccessStatusCode();
            await fixture.App.ExecuteCommandAsync("llm-secondary-circuit", "reset").ShouldSucceed();
            await StateAsync("llm-secondary-circuit", "Closed");
        }
    }

    [Fact]
    public async Task The_isolate_command_isolates_the_backend_through_the_monitor_and_is_audited_as_the_admin()
    {
        await StateAsync("everything-circuit", "Closed");
        try
        {
            var result = await fixture.App.ExecuteCommandAsync("everything-circuit", "isolate");

            Assert.True(result.Success, result.Message);
            var isolated = await StateAsync("everything-circuit", "Isolated");
            Assert.Equal("demo-admin", Property(isolated, "gateway.last-transition.actor"));
            var audited = await fixture.App.WaitForAuditAsync(
                e => e.GetProperty("status").GetString() == "isolated" && e.GetProperty("clientId").GetString() == "demo-admin",
                "backend=everything&method=circuit/transition");
            Assert.Contains("dashboard", audited.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            await fixture.App.ExecuteCommandAsync("everything-circuit", "reset").ShouldSucceed();
            await StateAsync("everything-circuit", "Closed");
        }
    }

    [Fact]
    public async Task The_kill_switch_commands_engage_and_release_the_proxy_switch_for_that_backend()
    {
        try
        {
            await fixture.App.ExecuteCommandAsync("everything-circuit", "kill-switch-on").ShouldSucceed();

            await PropertyAsync("everything-circuit", "gateway.kill-switch", "backend");
            using var admin = fixture.App.CreateAdminClient("proxy");
            var switches = await admin.GetFromJsonAsync<List<KillSwitchView>>(new Uri("/admin/kill-switches", UriKind.Relative));
            Assert.Contains(switches!, s => s.Scope == "backend" && s.Name == "everything" && s.Actor == "demo-admin");
        }
        finally
        {
            await fixture.App.ExecuteCommandAsync("everything-circuit", "kill-switch-off").ShouldSucceed();
            await PropertyAsync("everything-circuit", "gateway.kill-switch", "off");
        }
    }

    [Fact]
    public async Task The_kill_switch_commands_of_a_provider_engage_and_release_the_proxy_switch_for_that_provider()
    {
        try
        {
            await fixture.App.ExecuteCommandAsync("llm-secondary-circuit", "kill-switch-on").ShouldSucceed();

            await PropertyAsync("llm-secondary-circuit", "gateway.kill-switch", "provider");
            using var admin = fixture.App.CreateAdminClient("proxy");
            var switches = await admin.GetFromJsonAsync<List<KillSwitchView>>(new Uri("/admin/kill-switches", UriKind.Relative));
            Assert.Contains(switches!, s => s.Scope == "provider" && s.Name == "llm-secondary" && s.Actor == "demo-admin");
            Assert.Equal("off", Property(await fixture.App.SnapshotAsync("llm-primary-circuit"), "gateway.kill-switch"));
        }
        finally
        {
            await fixture.App.ExecuteCommandAsync("llm-secondary-circuit", "kill-switch-off").ShouldSucceed();
            await PropertyAsync("llm-secondary-circuit", "gateway.kill-switch", "off");
        }
    }

    [Fact]
    public async Task The_proxy_carries_the_global_kill_switch_commands()
    {
        try
        {
            await fixture.App.ExecuteCommandAsync("proxy", "global-kill-switch-on").ShouldSucceed();

            await PropertyAsync("everything-stdio-circuit", "gateway.kill-switch", "global");
        }
        finally
        {
            await fixture.App.ExecuteCommandAsync("proxy", "global-kill-switch-off").ShouldSucceed();
            await PropertyAsync("everything-stdio-circuit", "gateway.kill-switch", "off");
        }
    }

    private async Task<CustomResourceSnapshot> StateAsync(string resource, string state) =>
        (await fixture.App.Notifications.WaitForResourceAsync(resource, e => e.Snapshot.State?.Text == state)
            .WaitAsync(Eventually.DefaultBound)).Snapshot;

    private Task<ResourceEvent> PropertyAsync(string resource, string name, string value) =>
        fixture.App.Notifications.WaitForResourceAsync(resource, e => Property(e.Snapshot, name) == value).WaitAsync(Eventually.DefaultBound);

    private static string? Property(CustomResourceSnapshot snapshot, string name) =>
        snapshot.Properties.FirstOrDefault(p => p.Name == name)?.Value?.ToString();

    /// <summary>The provider or backend as the monitor's <c>GET /api/backends</c> lists it.</summary>
    private async Task<MonitorBackendView?> MonitorViewAsync(string name)
    {
        using var admin = fixture.App.CreateAdminClient("healthmonitor");
        var view = await admin.GetFromJsonAsync<MonitorView>(new Uri("/api/backends", UriKind.Relative));
        return view!.Backends.SingleOrDefault(b => b.Name == name);
    }

    private sealed record KillSwitchView(string Scope, string Name, string Actor);

    private sealed record MonitorView(List<MonitorBackendView> Backends);

    private sealed record MonitorBackendView(string Name, string Kind, bool? Healthy, string State, MonitorProbeView Probes);

    private sealed record MonitorProbeView(DateTimeOffset? LastProbeAt, string? LastError);
}
