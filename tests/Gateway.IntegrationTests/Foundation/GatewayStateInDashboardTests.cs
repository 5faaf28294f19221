using System.Net.Http.Json;
using Aspire.Hosting.ApplicationModel;
using Gateway.Testing;
using Gateway.Testing.Aspire;

namespace Gateway.IntegrationTests.Foundation;

/// <summary>The gateway's own state as Aspire resources: each backend's breaker state, and the admin actions as resource commands.</summary>
[Collection(WholeSystemTests.Name)]
public sealed class GatewayStateInDashboardTests(WholeSystemFixture fixture)
{
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

    private sealed record KillSwitchView(string Scope, string Name, string Actor);
}
