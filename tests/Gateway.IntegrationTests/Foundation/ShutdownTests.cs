using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Gateway.AppHost.Orchestration;
using Gateway.AppHost.Testing;
using Gateway.IntegrationTests.Support;

namespace Gateway.IntegrationTests.Foundation;

public sealed partial class ShutdownTests
{
    [Fact]
    public async Task Disposing_the_app_leaves_no_process_port_or_folder_behind()
    {
        var app = await GatewayTestingBuilder.Create().StartAsync();
        var groups = app.Snapshots().Where(s => s.ProcessId is not null).Select(s => s.ProcessId!.Value).ToArray();
        var processes = ProcessTable.InGroups(groups);
        var ports = app.Resources.SelectMany(r => r.Endpoints.Select(e => app.GetEndpoint(r.Name, e.Name).Port))
            .Append(app.DashboardUrl!.Port)
            .ToArray();
        var reaper = app.ReaperProcessId!.Value;
        Assert.Equal(6, groups.Length);
        Assert.True(processes.Count >= groups.Length);

        await app.DisposeAsync();

        Assert.DoesNotContain(processes, ProcessTable.IsAlive);
        Assert.Empty(ProcessTable.InGroups(groups));
        Assert.False(ProcessTable.IsAlive(reaper));
        Assert.All(ports, port => Assert.True(PortAllocator.IsLoopbackPortFree(port), $"port {port} is still in use"));
        Assert.False(Directory.Exists(app.Layout.RunDirectory));
    }

    [Fact]
    public async Task Ctrl_c_stops_every_resource_and_exits_zero()
    {
        using var run = new TemporaryDirectory();
        using var host = StartSmallAppHost(run.Path);
        await host.WaitForOutputAsync("Press Ctrl+C to stop.", TimeSpan.FromMinutes(2));
        var groups = await ResourceProcessIdsAsync(host);

        using (var interrupt = Process.Start("kill", ["-INT", host.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await interrupt.WaitForExitAsync();
        }

        Assert.Equal(0, await host.WaitForExitAsync(TimeSpan.FromMinutes(1)));
        Assert.Contains("Stopped.", host.Output, StringComparison.Ordinal);
        Assert.Empty(ProcessTable.InGroups(groups));
    }

    [Fact]
    public async Task A_killed_apphost_leaves_no_child_behind()
    {
        using var run = new TemporaryDirectory();
        using var host = StartSmallAppHost(run.Path);
        await host.WaitForOutputAsync("Press Ctrl+C to stop.", TimeSpan.FromMinutes(2));
        var groups = await ResourceProcessIdsAsync(host);
        Assert.NotEmpty(ProcessTable.InGroups(groups));

        host.KillHostOnly(); // SIGKILL: no chance for the AppHost to clean up; the reaper must.

        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (ProcessTable.InGroups(groups).Count > 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), bound.Token);
        }
    }

    /// <summary>The AppHost with only Redis and RabbitMQ: enough processes (Garnet, epmd, the Erlang VM) to prove cleanup.</summary>
    private static AppHostProcess StartSmallAppHost(string runDirectory) => AppHostProcess.Start(
        "--AppHost:RandomPorts=true",
        "--AppHost:DashboardPort=0",
        $"--AppHost:RunDirectory={runDirectory}",
        "--AppHost:StartOnly:0=redis",
        "--AppHost:StartOnly:1=messaging");

    private static async Task<int[]> ResourceProcessIdsAsync(AppHostProcess host)
    {
        var dashboard = DashboardLine().Match(host.Output).Groups[1].Value;
        using var client = new HttpClient { BaseAddress = new Uri(dashboard) };
        using var resources = JsonDocument.Parse(await client.GetStringAsync(new Uri("/api/resources", UriKind.Relative)));
        return resources.RootElement.EnumerateArray()
            .Select(r => r.GetProperty("processId"))
            .Where(pid => pid.ValueKind == JsonValueKind.Number)
            .Select(pid => pid.GetInt32())
            .ToArray();
    }

    [GeneratedRegex(@"Dashboard: (http://\S+)")]
    private static partial Regex DashboardLine();
}
