using System.Net;
using System.Net.Http.Json;
using Aspire.Hosting.ApplicationModel;
using Gateway.Testing;
using Gateway.Testing.Aspire;

namespace Gateway.IntegrationTests.Foundation;

/// <summary>
/// Faults on the Aspire model: resources stopped and started through their commands, processes killed by the PID in
/// their snapshot. After each the system recovers, every answered call is audited exactly once, and the gateway's
/// overrides survive. Counted, never timed.
/// </summary>
[Collection(ResourceFaultTests.Name)]
public sealed class ResourceFaultsTests(ResourceFaultsFixture fixture)
{
    private GatewayTestApp App => fixture.App;

    [Fact]
    public async Task A_resource_stopped_by_its_command_stays_down_until_started_again()
    {
        var pid = await App.ProcessIdAsync("everything");

        await App.ExecuteCommandAsync("everything", KnownResourceCommands.StopCommand).ShouldSucceed();
        await App.Notifications.WaitForResourceAsync("everything", e => e.Snapshot.State?.Text is "Exited" or "Finished").WaitAsync(Eventually.DefaultBound);

        Assert.DoesNotContain(ProcessTree.All(), p => p.Id == pid);
        await App.ExecuteCommandAsync("everything", KnownResourceCommands.StartCommand).ShouldSucceed();
        await Eventually.TrueAsync(async () => await App.ProcessIdAsync("everything") is { } started && started != pid, what: "everything started again");
        await App.Notifications.WaitForResourceAsync("everything", e => e.Snapshot.HealthStatus == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy && e.Snapshot.State?.Text == "Running")
            .WaitAsync(Eventually.DefaultBound);
    }

    [Fact]
    public async Task A_killed_service_is_started_again_and_the_calls_answered_meanwhile_are_audited_once()
    {
        using var session = await fixture.AgentSessionAsync();
        var answered = new List<(string, string)>();
        var pid = Assert.IsType<int>(await App.ProcessIdAsync("audit"));

        GatewayTestApp.Kill(pid);
        for (var i = 0; i < 20; i++)
        {
            if (await ResourceFaultsFixture.EchoAsync(session, $"audit down {i}") is { } call)
            {
                answered.Add(call);
            }
        }

        await Eventually.TrueAsync(async () => await App.ProcessIdAsync("audit") is { } restarted && restarted != pid, what: "audit restarted");
        await App.WaitForHealthyAsync("audit").WaitAsync(Eventually.DefaultBound);
        var audited = await fixture.AuditedAsync(answered);
        Assert.Equal(20, answered.Count);
        Assert.All(answered, call => Assert.Equal(1, audited[call]));
    }

    [Fact]
    public async Task Killing_rabbitmqs_beam_alone_restarts_the_broker_and_loses_no_audit_event()
    {
        using var session = await fixture.AgentSessionAsync();
        var answered = new List<(string, string)>();
        var node = Assert.IsType<int>(await App.ProcessIdAsync("messaging"));
        var beam = ProcessTree.SelfAndDescendants(node).Single(p => p.CommandLine.Contains("beam.smp", StringComparison.Ordinal)).Id;

        GatewayTestApp.Kill(beam);
        for (var i = 0; i < 20; i++)
        {
            if (await ResourceFaultsFixture.EchoAsync(session, $"broker down {i}") is { } call)
            {
                answered.Add(call);
            }
        }

        await Eventually.TrueAsync(async () => await App.ProcessIdAsync("messaging") is { } restarted && restarted != node, TimeSpan.FromMinutes(3), "broker restarted");
        await App.WaitForHealthyAsync("messaging").WaitAsync(Eventually.DefaultBound);
        for (var i = 0; i < 5; i++)
        {
            answered.Add((await ResourceFaultsFixture.EchoAsync(session, $"broker back {i}")).GetValueOrDefault());
        }

        var audited = await fixture.AuditedAsync(answered);
        Assert.Equal(25, answered.Distinct().Count());
        Assert.All(answered, call => Assert.Equal(1, audited[call]));
    }

    [Fact]
    public async Task Killing_garnet_restarts_it_with_its_data_and_an_engaged_kill_switch_stays_engaged()
    {
        using var admin = App.CreateAdminClient("proxy");
        using var engaged = await admin.PutAsJsonAsync(new Uri("/admin/kill-switches/backends/everything", UriKind.Relative), new { reason = "garnet fault test" });
        Assert.Equal(HttpStatusCode.OK, engaged.StatusCode);
        try
        {
            var garnet = Assert.IsType<int>(await App.ProcessIdAsync("redis"));

            GatewayTestApp.Kill(garnet);
            await Eventually.TrueAsync(async () => await App.ProcessIdAsync("redis") is { } restarted && restarted != garnet, what: "garnet restarted");
            await App.WaitForHealthyAsync("redis").WaitAsync(Eventually.DefaultBound);
            // A proxy started after Garnet's restart knows only what Garnet recovered from its append-only file.
            var proxy = Assert.IsType<int>(await App.ProcessIdAsync("proxy"));
            GatewayTestApp.Kill(proxy);
            await Eventually.TrueAsync(async () => await App.ProcessIdAsync("proxy") is { } restarted && restarted != proxy, what: "proxy restarted");
            await App.WaitForHealthyAsync("proxy").WaitAsync(Eventually.DefaultBound);

            using var restartedAdmin = App.CreateAdminClient("proxy");
            var switches = await Eventually.ValueAsync(async () =>
            {
                var list = await restartedAdmin.GetFromJsonAsync<List<KillSwitchView>>(new Uri("/admin/kill-switches", UriKind.Relative));
                return list is { Count: > 0 } ? list : null;
            });
            Assert.Contains(switches, s => s.Scope == "backend" && s.Name == "everything");
        }
        finally
        {
            using var releaser = App.CreateAdminClient("proxy");
            await releaser.DeleteAsync(new Uri("/admin/kill-switches/backends/everything", UriKind.Relative));
        }
    }

    private sealed record KillSwitchView(string Scope, string Name);
}
