using Gateway.Testing;
using Gateway.Testing.Aspire;
using StackExchange.Redis;

namespace Gateway.IntegrationTests.Chaos;

/// <summary>
/// One fault at a time under a bounded stream of <c>tools/call</c> from four clients (<see cref="ChaosLoad"/>): before
/// the fault every client is served, the fault is injected and lasts until the faulted part is back, then every client
/// is served again. Counted afterwards (<see cref="ChaosCounts"/>): no answered or refused call unaudited, none audited
/// twice, none left unanswered, no override lost. Counts, never timings.
/// </summary>
[Collection(ChaosSuite.Name)]
public sealed class ChaosTests(ChaosFixture fixture)
{
    private static readonly TimeSpan Restart = TimeSpan.FromMinutes(3);

    private GatewayTestApp App => fixture.App;

    [Fact]
    public async Task Killing_the_brokers_beam_alone_loses_and_duplicates_no_audit_event()
    {
        var counts = await RunAsync("1-broker-beam", "kill -9 of RabbitMQ's beam.smp alone", async () =>
        {
            var node = Assert.IsType<int>(await App.ProcessIdAsync("messaging"));
            var beam = ProcessTree.SelfAndDescendants(node).Single(p => p.CommandLine.Contains("beam.smp", StringComparison.Ordinal)).Id;
            GatewayTestApp.Kill(beam);
            await WaitForRestartAsync("messaging", node);
        });

        AssertHolds(counts);
    }

    [Fact]
    public async Task Killing_the_audit_service_loses_and_duplicates_no_audit_event()
    {
        var counts = await RunAsync("2-audit", "kill -9 of the audit service", () => KillAndWaitForRestartAsync("audit"));

        AssertHolds(counts);
    }

    [Fact]
    public async Task Killing_garnet_and_losing_its_data_loses_no_override_and_no_audit_event()
    {
        var counts = await RunAsync("3-garnet", "kill -9 of Garnet, back empty (FLUSHALL after its restart)", async () =>
        {
            await KillAndWaitForRestartAsync("redis");
            // Garnet recovers its append-only file; a Redis without persistence, a failover or a flush comes back with nothing.
            var options = ConfigurationOptions.Parse(await App.GetConnectionStringAsync("redis") ?? throw new InvalidOperationException("redis has no connection string"));
            options.AllowAdmin = true;
            options.AbortOnConnectFail = false;
            await using var redis = await ConnectionMultiplexer.ConnectAsync(options);
            foreach (var server in redis.GetServers())
            {
                await server.FlushAllDatabasesAsync();
            }
        });

        AssertHolds(counts);
    }

    [Fact]
    public async Task Killing_the_monitor_leader_loses_and_duplicates_no_audit_event_and_no_override()
    {
        var counts = await RunAsync("4-monitor-leader", "kill -9 of the health monitor holding the leadership lease", async () =>
        {
            var leader = await fixture.MonitorLeaderAsync();
            await KillAndWaitForRestartAsync(leader);
            await fixture.MonitorLeaderAsync();
        });

        AssertHolds(counts);
    }

    [Fact]
    public async Task Killing_one_of_two_proxy_replicas_loses_no_answered_call_and_duplicates_none()
    {
        var counts = await RunAsync("5-proxy-replica", "kill -9 of one of two proxy replicas (clients retry on the other)", () => KillAndWaitForRestartAsync("proxy"));

        AssertHolds(counts);
    }

    [Fact]
    public async Task Killing_the_backend_refuses_its_calls_with_protocol_errors_that_are_all_audited()
    {
        var counts = await RunAsync("6-backend", "kill -9 of the MCP backend", () => KillAndWaitForRestartAsync("everything"));

        AssertHolds(counts);
        Assert.All(counts.RefusedByCode.Keys, code => Assert.StartsWith("-320", code, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stopping_the_broker_for_longer_than_every_timeout_loses_and_duplicates_no_audit_event()
    {
        var counts = await RunAsync("7-broker-stopped", "RabbitMQ stopped for 30 s (30 publish timeouts), then started", async _ =>
        {
            await App.StopResourceAsync("messaging");
            try
            {
                // The outage outlasts the proxies' publish timeout many times over, and the clients' and services'
                // connection recovery attempts: every replica spills and keeps answering.
                await Task.Delay(TimeSpan.FromSeconds(30));
            }
            finally
            {
                await App.StartResourceAsync("messaging");
            }
        }, pace: TimeSpan.FromMilliseconds(500));

        AssertHolds(counts);
    }

    [Fact]
    public async Task A_spill_folder_at_its_bound_refuses_calls_with_32011_and_audits_every_refusal()
    {
        var counts = await RunAsync("8-spill-full", $"RabbitMQ stopped until each proxy's spill reached its {ChaosFixture.SpillLimitBytes / 1024} KiB bound, then started", async load =>
        {
            await App.StopResourceAsync("messaging");
            try
            {
                await load.WaitForRefusalsAsync(Contracts.GatewayErrorCodes.AuditUnavailable, 3);
            }
            finally
            {
                await App.StartResourceAsync("messaging");
            }
        }, pace: TimeSpan.FromMilliseconds(50));

        AssertHolds(counts);
        Assert.True(counts.RefusedByCode.GetValueOrDefault("-32011") > 0, "no call was refused for the full spill folder");
    }

    /// <summary>
    /// Runs <paramref name="fault"/> under load: every client served before it, the fault (which returns once the faulted
    /// part is back), every client served again; then waits for the audit log to hold every answered attempt (bounded)
    /// and for the overrides (bounded), and counts.
    /// </summary>
    private Task<ChaosCounts> RunAsync(string scenario, string description, Func<Task> fault) =>
        RunAsync(scenario, description, _ => fault());

    private async Task<ChaosCounts> RunAsync(string scenario, string description, Func<ChaosLoad, Task> fault, TimeSpan? pace = null)
    {
        await fixture.EnsureReadyAsync();
        IReadOnlyList<ChaosAttempt> attempts;
        Exception? notRecovered = null;
        await using (var load = ChaosLoad.Start(fixture, scenario, pace: pace))
        {
            await load.WaitForResultsAsync(3);
            try
            {
                await fault(load);
                await load.WaitForResultsAsync(5);
            }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
            {
                // Counted all the same, so the results show what a system that did not recover did to the calls.
                notRecovered = ex;
            }

            attempts = await load.StopAsync();
        }

        var overridesLost = ChaosFixture.AllOverrides - await SettledAsync(fixture.OverridesInForceAsync, n => n == ChaosFixture.AllOverrides, TimeSpan.FromSeconds(30));
        var prefix = ChaosLoad.Prefix(scenario);
        var audited = await SettledAsync(() => fixture.AuditedAsync(prefix), events => !ChaosCounts.Unaudited(attempts, events).Any(), TimeSpan.FromMinutes(2));
        var counts = ChaosCounts.From(scenario, description, attempts, audited, overridesLost) with { Recovered = notRecovered is null };
        fixture.Results[scenario] = counts;
        if (notRecovered is not null)
        {
            throw new InvalidOperationException($"The system did not serve every client again after the fault: {counts}", notRecovered);
        }

        return counts;
    }

    /// <summary>Polls <paramref name="read"/> until <paramref name="done"/> holds or <paramref name="bound"/> passes; the last value either way.</summary>
    private static async Task<T> SettledAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan bound)
    {
        using var limit = new CancellationTokenSource(bound);
        while (true)
        {
            var value = await read();
            if (done(value) || limit.IsCancellationRequested)
            {
                return value;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500), CancellationToken.None);
        }
    }

    private async Task KillAndWaitForRestartAsync(string resource)
    {
        var pid = await Eventually.ValueAsync<object>(async () => await App.ProcessIdAsync(resource), what: $"{resource} running") is int running
            ? running
            : throw new InvalidOperationException($"{resource} has no process");
        GatewayTestApp.Kill(pid);
        await WaitForRestartAsync(resource, pid);
    }

    private async Task WaitForRestartAsync(string resource, int killed)
    {
        using var limit = new CancellationTokenSource(Restart);
        await App.WaitForNewProcessAsync(resource, killed, limit.Token);
        await App.WaitForRunningAndHealthyAsync(resource, limit.Token);
    }

    private static void AssertHolds(ChaosCounts counts)
    {
        Assert.True(counts.Sent > 0, "no call was sent");
        Assert.True(counts.Holds, $"a count that must be zero is not: {counts}");
        Assert.Equal(counts.Sent, counts.Answered + counts.Refused);
        Assert.Equal(counts.Sent, counts.Audited);
    }
}
