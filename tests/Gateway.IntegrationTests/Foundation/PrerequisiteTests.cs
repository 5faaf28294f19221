using Gateway.AppHost.Orchestration;
using Gateway.AppHost.Testing;
using Gateway.IntegrationTests.Support;
using Microsoft.Extensions.Configuration;

namespace Gateway.IntegrationTests.Foundation;

public sealed class PrerequisiteTests
{
    private const string MissingServer = "/nonexistent/rabbitmq-server";

    [Fact]
    public async Task A_missing_rabbitmq_server_fails_start_before_anything_runs()
    {
        var builder = GatewayTestingBuilder.Create(configuration => configuration.AddInMemoryCollection(
            new Dictionary<string, string?> { ["AppHost:RabbitMq:ServerPath"] = MissingServer }));
        await using var app = builder.Build();

        var error = await Assert.ThrowsAsync<AppHostException>(() => app.StartAsync());

        Assert.Contains(MissingServer, error.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install -y rabbitmq-server", error.Message, StringComparison.Ordinal);
        Assert.Null(app.ReaperProcessId);
        Assert.All(app.Snapshots(), s => Assert.Null(s.ProcessId));
    }

    [Fact]
    public async Task The_apphost_reports_a_missing_prerequisite_in_one_line_and_exits_non_zero()
    {
        using var run = new TemporaryDirectory();
        using var host = AppHostProcess.Start(
            "--AppHost:RandomPorts=true",
            $"--AppHost:RunDirectory={run.Path}",
            $"--AppHost:RabbitMq:ServerPath={MissingServer}");

        var exitCode = await host.WaitForExitAsync(TimeSpan.FromMinutes(1));

        Assert.NotEqual(0, exitCode);
        var error = Assert.Single(host.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: RabbitMQ is not installed", error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", host.Output + host.Error, StringComparison.Ordinal);
    }
}
