using Gateway.IntegrationTests.Support;

namespace Gateway.IntegrationTests.Foundation;

[Collection(WholeSystemTests.Name)]
public sealed class ResourceRestartTests(WholeSystemFixture fixture)
{
    [Fact]
    public async Task A_killed_service_is_restarted_and_becomes_healthy_again()
    {
        var app = fixture.App;
        await app.WaitForResourceHealthyAsync("audit").WaitAsync(TimeSpan.FromSeconds(60));
        var before = app.GetResource("audit");
        var pid = Assert.IsType<int>(before.ProcessId);

        app.KillResource("audit");
        await WaitUntilAsync(() => app.GetResource("audit").Restarts > before.Restarts);
        await app.WaitForResourceHealthyAsync("audit").WaitAsync(TimeSpan.FromSeconds(60));

        var after = app.GetResource("audit");
        Assert.Equal(before.Restarts + 1, after.Restarts);
        Assert.NotEqual(pid, after.ProcessId);
        Assert.False(ProcessTable.IsAlive(pid));
        Assert.Contains(after.RecentLogs, line => line.Contains("restart #", StringComparison.Ordinal));
        using var client = app.CreateHttpClient("audit");
        using var response = await client.GetAsync(new Uri("/health", UriKind.Relative));
        Assert.True(response.IsSuccessStatusCode);
    }

    [Fact]
    public async Task A_stopped_resource_stays_down_until_started_again()
    {
        var app = fixture.App;
        await app.WaitForResourceHealthyAsync("healthmonitor").WaitAsync(TimeSpan.FromSeconds(60));
        var pid = Assert.IsType<int>(app.GetProcessId("healthmonitor"));

        await app.StopResourceAsync("healthmonitor");

        Assert.Null(app.GetProcessId("healthmonitor"));
        Assert.False(ProcessTable.IsAlive(pid));
        Assert.Equal(Gateway.AppHost.Orchestration.ResourceState.Stopped, app.GetResource("healthmonitor").State);

        await app.StartResourceAsync("healthmonitor").WaitAsync(TimeSpan.FromSeconds(60));
        Assert.NotNull(app.GetProcessId("healthmonitor"));
    }

    [Fact]
    public async Task Restarting_a_resource_replaces_its_process_without_counting_a_crash()
    {
        var app = fixture.App;
        await app.WaitForResourceHealthyAsync("proxy-2").WaitAsync(TimeSpan.FromSeconds(60));
        var before = app.GetResource("proxy-2");

        await app.RestartResourceAsync("proxy-2").WaitAsync(TimeSpan.FromSeconds(90));

        var after = app.GetResource("proxy-2");
        Assert.NotEqual(before.ProcessId, after.ProcessId);
        Assert.Equal(before.Restarts, after.Restarts);
        Assert.Equal(Gateway.AppHost.Orchestration.HealthState.Healthy, after.Health);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!condition())
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), timeout.Token);
        }
    }
}
