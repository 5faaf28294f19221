using Gateway.Contracts.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;

namespace Gateway.Contracts.Tests.Configuration;

/// <summary>A host with <c>AddGatewayConfiguration</c> over a real gateway.json in a temp folder, rewritten by the tests.</summary>
public sealed class GatewayConfigurationReloadTests : IDisposable
{
    private const string GoodBackend = """{ "Name": "alpha", "Url": "http://127.0.0.1:5001/mcp" }""";

    /// <summary>Bounds a wait for a file-watcher reload so a broken watcher fails the test instead of hanging it.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    private readonly string _folder = Directory.CreateTempSubdirectory("gateway-config-").FullName;
    private readonly FakeLogCollector _logs = new();

    private string FilePath => Path.Combine(_folder, "gateway.json");

    [Fact]
    public async Task An_invalid_configuration_at_start_stops_the_host_with_every_error()
    {
        WriteGateway("""{ "Name": "alpha" }""", """{ "Name": "alpha", "Transport": "Stdio" }""");
        using var host = Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains(error.Failures, f => f.Contains("Gateway.Backends[0].Url", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("Gateway.Backends[1].Name", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("Gateway.Backends[1].Command", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_bad_reload_keeps_the_last_good_configuration()
    {
        WriteGateway(GoodBackend);
        using var host = await StartAsync();
        var monitor = host.Services.GetRequiredService<IOptionsMonitor<GatewayOptions>>();
        var good = monitor.CurrentValue;
        var changes = 0;
        using var subscription = monitor.OnChange((_, _) => Interlocked.Increment(ref changes));

        WriteGateway("""{ "Name": "alpha", "Url": "/relative" }""");
        var report = await WaitForConfigHealthAsync(host, HealthStatus.Degraded);

        Assert.Same(good, monitor.CurrentValue);
        Assert.Equal(new Uri("http://127.0.0.1:5001/mcp"), monitor.CurrentValue.Backends[0].Url);
        Assert.Equal(0, Volatile.Read(ref changes));
        var errors = Assert.IsAssignableFrom<IReadOnlyList<string>>(report.Data["errors"]);
        Assert.Contains(errors, e => e.Contains("Gateway.Backends[0].Url", StringComparison.Ordinal));
        Assert.IsType<DateTimeOffset>(report.Data["rejectedAt"]);
        Assert.Contains(_logs.GetSnapshot(), log => log.Level == LogLevel.Warning && log.Message.Contains("Gateway.Backends[0].Url", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_good_reload_after_a_bad_one_applies_and_clears_the_degraded_health()
    {
        WriteGateway(GoodBackend);
        using var host = await StartAsync();
        var monitor = host.Services.GetRequiredService<IOptionsMonitor<GatewayOptions>>();
        WriteGateway("""{ "Name": "alpha", "Transport": "Stdio" }""");
        await WaitForConfigHealthAsync(host, HealthStatus.Degraded);
        var applied = new TaskCompletionSource<GatewayOptions>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = monitor.OnChange((options, _) => applied.TrySetResult(options));

        WriteGateway("""{ "Name": "alpha", "Transport": "Stdio", "Command": "node" }""");
        var options = await applied.Task.WaitAsync(HangGuard);

        Assert.Equal("node", options.Backends[0].Command);
        Assert.Same(options, monitor.CurrentValue);
        await WaitForConfigHealthAsync(host, HealthStatus.Healthy);
    }

    [Fact]
    public async Task A_file_that_is_not_json_on_reload_keeps_the_last_good_configuration()
    {
        WriteGateway(GoodBackend);
        using var host = await StartAsync();
        var monitor = host.Services.GetRequiredService<IOptionsMonitor<GatewayOptions>>();

        Replace("""{ "Gateway": { "Backends": [ """);
        var report = await WaitForConfigHealthAsync(host, HealthStatus.Degraded);

        Assert.Equal("alpha", Assert.Single(monitor.CurrentValue.Backends).Name);
        var errors = Assert.IsAssignableFrom<IReadOnlyList<string>>(report.Data["errors"]);
        Assert.Contains(errors, e => e.Contains("Gateway.ConfigFile", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_deleted_file_keeps_the_last_good_configuration()
    {
        WriteGateway(GoodBackend);
        using var host = await StartAsync();
        var monitor = host.Services.GetRequiredService<IOptionsMonitor<GatewayOptions>>();

        File.Delete(FilePath);
        var report = await WaitForConfigHealthAsync(host, HealthStatus.Degraded);

        Assert.Equal("alpha", Assert.Single(monitor.CurrentValue.Backends).Name);
        var errors = Assert.IsAssignableFrom<IReadOnlyList<string>>(report.Data["errors"]);
        Assert.Contains(errors, e => e.Contains("missing", StringComparison.Ordinal));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private void WriteGateway(params string[] backends) =>
        Replace($$"""{ "Gateway": { "Backends": [ {{string.Join(", ", backends)}} ] } }""");

    /// <summary>Replaces the file in one step, so the watcher never reloads a half-written one.</summary>
    private void Replace(string content)
    {
        var next = FilePath + ".next";
        File.WriteAllText(next, content);
        File.Move(next, FilePath, overwrite: true);
    }

    private IHost Build()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Gateway:ConfigFile"] = FilePath });
        builder.Logging.AddProvider(new FakeLoggerProvider(_logs));
        builder.AddGatewayConfiguration();
        return builder.Build();
    }

    private async Task<IHost> StartAsync()
    {
        var host = Build();
        await host.StartAsync();
        return host;
    }

    /// <summary>Runs the gateway-config check until it reports <paramref name="status"/>: reloads arrive from the file watcher.</summary>
    private static async Task<HealthReportEntry> WaitForConfigHealthAsync(IHost host, HealthStatus status)
    {
        var health = host.Services.GetRequiredService<HealthCheckService>();
        using var guard = new CancellationTokenSource(HangGuard);
        while (true)
        {
            var report = await health.CheckHealthAsync(c => c.Name == GatewayConfigurationExtensions.HealthCheckName, guard.Token);
            var entry = report.Entries[GatewayConfigurationExtensions.HealthCheckName];
            if (entry.Status == status)
            {
                return entry;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(50), guard.Token);
        }
    }
}
