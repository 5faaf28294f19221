using System.Net;
using Gateway.Testing;
using Gateway.Testing.Aspire;

namespace Gateway.IntegrationTests.Circuit;

/// <summary>
/// Breakers across the whole system: a failing backend, monitor failover, Redis and RabbitMQ outages, a late proxy,
/// and manual isolate/reset. Every check reads the services' own HTTP endpoints: the proxies' <c>/health</c>
/// (circuit-gate data) and the monitors' <c>/api/backends</c>.
/// </summary>
[Collection(CircuitSystemTests.Name)]
public sealed class CircuitFailoverTests(CircuitSystemFixture system) : IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        system.Flaky.Failing = false;
        await system.EnsureRunningAsync();

        Assert.True((await system.AdminAsync("reset")).IsSuccessStatusCode);
        await system.WaitForProxiesAsync("Closed");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_failing_backend_opens_on_every_proxy_replica_and_closes_on_both_after_it_heals()
    {
        system.Flaky.Failing = true;

        await system.WaitForProxiesAsync("Open");
        var leader = await system.LeaderAsync();
        Assert.Equal("Open", (await system.MonitorAsync(leader))!.State);

        system.Flaky.Failing = false;

        await system.WaitForProxiesAsync("Closed");
        var transitions = (await system.MonitorAsync(leader))!.Transitions.Select(t => t.State).ToArray();
        Assert.Equal(["Open", "HalfOpen", "Closed"], transitions[^3..]);
    }

    [Fact]
    public async Task An_open_circuit_fast_fails_tools_call_with_32007_on_both_replicas_without_calling_the_backend()
    {
        var clients = new List<McpHttpSession>();
        foreach (var proxy in CircuitSystemFixture.Proxies)
        {
            var client = new McpHttpSession(system.App.CreateAdminClient(proxy), "circuit-tests");
            await client.InitializeAsync();
            var tools = (await client.RequestAsync("tools/list", new { })).GetRawText();
            var answer = await client.CallToolAsync("flaky_echo");
            Assert.True(answer.TryGetProperty("result", out var result) && !result.TryGetProperty("isError", out _), $"{answer.GetRawText()} / {tools}");
            clients.Add(client);
        }

        system.Flaky.Failing = true;
        await system.WaitForProxiesAsync("Open");
        var toolCalls = system.Flaky.ToolCalls;

        foreach (var client in clients)
        {
            var answer = await client.CallToolAsync("flaky_echo");
            Assert.True(answer.TryGetProperty("error", out var error), answer.GetRawText());
            Assert.Equal(-32007, error.GetProperty("code").GetInt32());
            Assert.Contains(CircuitSystemFixture.Backend, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(toolCalls, system.Flaky.ToolCalls);
        system.Flaky.Failing = false;
        await system.WaitForProxiesAsync("Closed");
        foreach (var client in clients)
        {
            var answer = await client.CallToolAsync("flaky_echo");
            Assert.True(answer.TryGetProperty("result", out var result) && !result.TryGetProperty("isError", out _), answer.GetRawText());
            client.Dispose();
        }
    }

    [Fact]
    public async Task Isolate_and_reset_through_the_monitor_api_reach_every_proxy_with_the_admin_as_actor()
    {
        var isolate = await system.AdminAsync("isolate");
        Assert.Equal(HttpStatusCode.OK, isolate.StatusCode);
        await system.WaitForProxiesAsync("Isolated");

        Assert.True((await system.AdminAsync("reset")).IsSuccessStatusCode);
        await system.WaitForProxiesAsync("Closed");

        var view = (await system.MonitorAsync(await system.LeaderAsync()))!;
        Assert.Equal([("Isolated", "demo-admin"), ("Closed", "demo-admin")], view.Transitions.TakeLast(2));
    }

    [Fact]
    public async Task Isolate_and_reset_sent_to_the_standby_monitor_are_forwarded_to_the_leader()
    {
        var leader = await system.LeaderAsync();
        var standby = await system.StandbyAsync();
        Assert.NotEqual(leader, standby);

        Assert.Equal(HttpStatusCode.OK, (await system.AdminAsync("isolate", standby)).StatusCode);
        await system.WaitForProxiesAsync("Isolated");
        Assert.Equal(HttpStatusCode.OK, (await system.AdminAsync("reset", standby)).StatusCode);
        await system.WaitForProxiesAsync("Closed");

        // Decided by the leader, on behalf of the admin who called the standby.
        var view = (await system.MonitorAsync(leader))!;
        Assert.True(view.Leader);
        Assert.Equal([("Isolated", "demo-admin"), ("Closed", "demo-admin")], view.Transitions.TakeLast(2));
    }

    [Fact]
    public async Task Killing_the_leading_monitor_hands_over_to_the_standby_and_transitions_keep_reaching_proxies_in_order()
    {
        var leader = await system.LeaderAsync();
        var standby = await system.StandbyAsync();
        var before = await Task.WhenAll(CircuitSystemFixture.Proxies.Select(system.GateAsync));

        var leaderPid = await system.App.ProcessIdAsync(leader) ?? throw new InvalidOperationException($"{leader} has no process");
        GatewayTestApp.Kill(leaderPid);
        Assert.NotEqual(0, (await system.App.WaitForStoppedAsync(leader)).ExitCode);

        // The AppHost's crash restarter starts the killed monitor again after a second, but a freshly started monitor
        // waits one lease TTL before contending, so the standby, already waiting for the dead leader's lease to expire, wins.
        Assert.Equal(standby, await system.LeaderAsync());

        Assert.Equal(HttpStatusCode.OK, (await system.AdminAsync("isolate")).StatusCode);
        await system.WaitForProxiesAsync("Isolated");
        var after = await Task.WhenAll(CircuitSystemFixture.Proxies.Select(system.GateAsync));
        var sequence = (await system.MonitorAsync(standby))!.Sequence;

        for (var i = 0; i < after.Length; i++)
        {
            Assert.True(after[i]!.LastAppliedSequence > before[i]!.LastAppliedSequence);
            Assert.Equal(sequence, after[i]!.LastAppliedSequence);
        }

        // Killed, not stopped: the crash restarter brings it back as a new process (the system is whole for the next test).
        await system.App.WaitForRunningAndHealthyAsync(leader);
        Assert.NotEqual(leaderPid, await system.App.ProcessIdAsync(leader));
    }

    [Fact]
    public async Task A_proxy_started_after_transitions_gets_the_current_state_from_the_snapshot()
    {
        // Stopped by SIGTERM to the service rather than the dashboard's Stop command: DCP gives up on a proxy that
        // takes over ~10 s to exit, and the proxy's shutdown waits on its stdio backend's process for about that long.
        GatewayTestApp.Terminate(await system.App.ProcessIdAsync("proxy-2") ?? throw new InvalidOperationException("proxy-2 is not running"));
        Assert.Equal(0, (await system.App.WaitForStoppedAsync("proxy-2")).ExitCode);
        Assert.Equal(HttpStatusCode.OK, (await system.AdminAsync("isolate")).StatusCode);
        await system.WaitForProxiesAsync("Isolated", ["proxy"]);

        await system.App.StartResourceAsync("proxy-2");

        var gate = await system.GateAsync("proxy-2");
        Assert.Equal("Isolated", gate!.State);
        Assert.True(gate.SnapshotSequence >= (await system.MonitorAsync(await system.LeaderAsync()))!.Sequence);
    }

    [Fact]
    public async Task Without_redis_and_then_rabbitmq_proxies_keep_their_state_and_converge_when_they_return()
    {
        Assert.Equal(HttpStatusCode.OK, (await system.AdminAsync("isolate")).StatusCode);
        await system.WaitForProxiesAsync("Isolated");

        await system.App.StopResourceAsync("redis");
        await AssertFailStaticAsync();
        await system.App.StopResourceAsync("messaging");
        await AssertFailStaticAsync();

        await system.App.StartResourceAsync("messaging");
        await system.App.StartResourceAsync("redis");
        await CircuitSystemFixture.WaitUntilAsync(async () =>
            (await Task.WhenAll(CircuitSystemFixture.Proxies.Select(system.GateAsync))).All(g => g?.Status == "Healthy"));

        await CircuitSystemFixture.WaitUntilAsync(async () => (await system.AdminAsync("reset")).IsSuccessStatusCode);
        await system.WaitForProxiesAsync("Closed");
    }

    private async Task AssertFailStaticAsync()
    {
        await CircuitSystemFixture.WaitUntilAsync(async () =>
            (await Task.WhenAll(CircuitSystemFixture.Proxies.Select(system.GateAsync))).All(g => g?.Status == "Degraded"));
        foreach (var proxy in CircuitSystemFixture.Proxies)
        {
            Assert.Equal("Isolated", (await system.GateAsync(proxy))!.State);
            using var client = system.App.CreateHttpClient(proxy);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(new Uri("/alive", UriKind.Relative))).StatusCode);
        }
    }
}
