using System.Net.NetworkInformation;
using Gateway.AppHost.Configuration;
using Gateway.IntegrationTests.Support;
using Gateway.Testing;
using Gateway.Testing.Aspire;

namespace Gateway.IntegrationTests.Foundation;

/// <summary>What a run leaves on the machine when it ends: nothing, whether disposed or its AppHost killed.</summary>
public sealed class DisposalTests
{
    [Fact]
    public async Task Disposing_the_app_leaves_no_process_port_or_folder_behind()
    {
        var builder = await GatewayAppBuilder.CreateAsync();
        var app = await builder.Only("audit").StartAsync();
        // DCP runs detached, watching the process that started it (this test host); every resource descends from it.
        var started = RunBy(Environment.ProcessId);
        var ports = await PortsAsync(app, "messaging", "messaging-epmd", "audit");
        var runFolder = Path.GetDirectoryName(app.Model.Resources.OfType<GatewayConfigurationResource>().Single().FilePath)!;
        Assert.Contains(started, p => p.CommandLine.Contains("beam.smp", StringComparison.Ordinal));
        Assert.Contains(started, p => p.CommandLine.Contains("Gateway.AuditService", StringComparison.Ordinal));
        Assert.True(Directory.Exists(runFolder));

        await app.DisposeAsync();

        await Eventually.TrueAsync(() => Task.FromResult(!ProcessTree.All().Any(p => started.Any(s => s.Id == p.Id))), what: "every process of the run gone");
        Assert.All(ports, port => Assert.DoesNotContain(port, ListeningPorts()));
        await Eventually.TrueAsync(() => Task.FromResult(!Directory.Exists(runFolder)), what: "the run folder deleted");
    }

    [Fact]
    public async Task Killing_the_apphost_with_sigkill_leaves_no_process_behind()
    {
        using var host = AppHostProcess.StartRunning();
        await host.WaitForOutputAsync("Distributed application started", TimeSpan.FromMinutes(3));
        var children = RunBy(host.Id).Concat(ProcessTree.Descendants(host.Id).Select(p => (p.Id, p.CommandLine))).ToList();
        Assert.Contains(children, p => p.CommandLine.Contains("GarnetServer", StringComparison.Ordinal));

        host.KillHostOnly();

        // DCP watches the AppHost's PID and tears every resource down when it dies, whatever killed it.
        await Eventually.TrueAsync(() => Task.FromResult(!ProcessTree.All().Any(p => children.Any(c => c.Id == p.Id))), what: "the run's processes gone");
    }

    /// <summary>The DCP processes watching <paramref name="monitoredProcess"/> and everything they started.</summary>
    private static List<(int Id, string CommandLine)> RunBy(int monitoredProcess)
    {
        var dcp = ProcessTree.All().Where(p => p.CommandLine.Contains($"--monitor {monitoredProcess}", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(dcp);
        return [.. dcp.SelectMany(p => ProcessTree.SelfAndDescendants(p.Id)).Select(p => (p.Id, p.CommandLine))];
    }

    private static async Task<IReadOnlyList<int>> PortsAsync(GatewayTestApp app, params string[] resources)
    {
        var ports = new List<int>();
        foreach (var resource in resources)
        {
            var snapshot = await app.SnapshotAsync(resource);
            ports.AddRange(snapshot.Urls.Select(u => new Uri(u.Url).Port));
        }

        return ports;
    }

    private static HashSet<int> ListeningPorts() =>
        IPGlobalProperties.GetIPGlobalProperties().GetActiveTcpListeners().Select(e => e.Port).ToHashSet();
}
