using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json;
using Gateway.Contracts.Circuit;
using Gateway.Contracts.Messages;
using Gateway.Proxy.Circuit;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using Gateway.Testing;

namespace Gateway.Proxy.Tests.Circuit;

/// <summary>The proxy following the monitor: snapshot on start, transitions from the bus, outcome reports, health and readiness.</summary>
public sealed class CircuitGateServiceTests(GarnetServer garnet) : IClassFixture<GarnetServer>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly string _prefix = "test:" + Guid.NewGuid().ToString("N");

    [Fact]
    public async Task A_proxy_started_after_transitions_gets_the_current_state_from_the_snapshot()
    {
        await WriteSnapshotAsync(Change(7, "alpha", CircuitState.Open), Change(4, "beta", CircuitState.Closed));
        await using var proxy = new ProxyFactory(garnet.ConnectionString, _prefix);

        var registry = proxy.Services.GetRequiredService<CircuitBreakerRegistry>();
        await WaitUntilAsync(() => registry.GetState("alpha") == CircuitState.Open);

        using var permit = await registry.AcquirePermitAsync("alpha");
        Assert.Equal(PermitKind.Rejected, permit.Kind);
        Assert.Equal("monitor decided", permit.Rejection!.Reason);
        var health = await GetHealthAsync(proxy);
        Assert.Equal("Healthy", health.GetProperty("health").GetString());
        Assert.Equal(7, GateCheck(health).GetProperty("data").GetProperty("snapshotSequence").GetInt64());
    }

    [Fact]
    public async Task Transitions_and_kill_switch_changes_are_consumed_on_queues_named_after_this_replica()
    {
        await using var proxy = new ProxyFactory(garnet.ConnectionString, _prefix);
        var status = proxy.Services.GetRequiredService<CircuitSyncStatus>();
        await WaitUntilAsync(() => status.BusConnected);

        // Per-instance names: replicas sharing one queue would each get only some of the messages.
        var endpoints = JsonSerializer.Serialize(proxy.Services.GetRequiredService<IBusControl>().GetProbeResult());
        Assert.Contains("circuit-transition-proxy-test", endpoints, StringComparison.Ordinal);
        Assert.Contains("kill-switch-changed-proxy-test", endpoints, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Transitions_from_the_bus_apply_only_when_newer_so_duplicates_and_late_ones_are_ignored()
    {
        await using var proxy = new ProxyFactory(garnet.ConnectionString, _prefix);
        var registry = proxy.Services.GetRequiredService<CircuitBreakerRegistry>();
        var status = proxy.Services.GetRequiredService<CircuitSyncStatus>();
        var harness = proxy.Services.GetTestHarness();
        await WaitUntilAsync(() => status.BusConnected && status.SnapshotLoaded);

        await harness.Bus.Publish(Change(1, "alpha", CircuitState.Open));
        await harness.Bus.Publish(Change(3, "alpha", CircuitState.Closed));
        await harness.Bus.Publish(Change(2, "alpha", CircuitState.Open));
        await harness.Bus.Publish(Change(3, "alpha", CircuitState.Closed));

        await WaitUntilAsync(() => status.IgnoredTransitions == 2);
        Assert.Equal(CircuitState.Closed, registry.GetState("alpha"));
        Assert.Equal(3, status.LastAppliedSequence);
    }

    [Fact]
    public async Task Each_applied_transition_records_its_propagation_from_the_monitors_decision_on_health_and_in_a_histogram()
    {
        await using var proxy = new ProxyFactory(garnet.ConnectionString, _prefix);
        var meters = proxy.Services.GetRequiredService<IMeterFactory>();
        var status = proxy.Services.GetRequiredService<CircuitSyncStatus>();
        var recorded = new List<(double Milliseconds, string? Backend)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Scope == meters && instrument.Name == CircuitPropagation.HistogramName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            lock (recorded)
            {
                recorded.Add((value, tags.ToArray().Single(t => t.Key == "backend").Value as string));
            }
        });
        listener.Start();
        await WaitUntilAsync(() => status.BusConnected && status.SnapshotLoaded);
        var decidedAt = DateTimeOffset.UtcNow.AddHours(-1);

        await proxy.Services.GetTestHarness().Bus.Publish(Change(5, "alpha", CircuitState.Open) with { At = decidedAt });
        await WaitUntilAsync(() => status.LastAppliedSequence == 5);

        var transition = GateCheck(await GetHealthAsync(proxy)).GetProperty("data").GetProperty("transitions").GetProperty("alpha");
        Assert.Equal(5, transition.GetProperty("sequence").GetInt64());
        Assert.Equal("Open", transition.GetProperty("state").GetString());
        Assert.Equal(CircuitPropagation.Bus, transition.GetProperty("via").GetString());
        Assert.Equal(decidedAt, transition.GetProperty("decidedAt").GetDateTimeOffset());
        var appliedAt = transition.GetProperty("appliedAt").GetDateTimeOffset();
        Assert.Equal((appliedAt - decidedAt).TotalMilliseconds, transition.GetProperty("propagationMs").GetDouble(), precision: 3);
        lock (recorded)
        {
            var (milliseconds, backend) = Assert.Single(recorded);
            Assert.Equal("alpha", backend);
            Assert.Equal((appliedAt - decidedAt).TotalMilliseconds, milliseconds, precision: 3);
        }
    }

    [Fact]
    public async Task Outcomes_of_calls_are_published_to_the_monitor_in_batches()
    {
        await using var proxy = new ProxyFactory(garnet.ConnectionString, _prefix);
        var registry = proxy.Services.GetRequiredService<CircuitBreakerRegistry>();
        var harness = proxy.Services.GetTestHarness();

        for (var i = 0; i < 3; i++)
        {
            using var permit = await registry.AcquirePermitAsync("beta");
            permit.Success();
        }

        using (var failed = await registry.AcquirePermitAsync("beta"))
        {
            failed.Failure("timeout", "no answer");
        }

        Assert.True(await harness.Published.Any<BackendOutcomeBatch>(m => m.Context.Message.Reports.Any(r =>
            r is { Backend: "beta", Successes: 3, Failures: 1, LastError: "timeout: no answer", Source: "proxy-test" })));
    }

    [Fact]
    public async Task Ready_is_200_while_a_backend_is_routable_and_503_when_every_circuit_is_open()
    {
        await using var proxy = new ProxyFactory(garnet.ConnectionString, _prefix);
        using var client = proxy.CreateClient();
        var registry = proxy.Services.GetRequiredService<CircuitBreakerRegistry>();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/ready")).StatusCode);

        registry.Apply(Change(1, "alpha", CircuitState.Open));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/ready")).StatusCode);

        registry.Apply(Change(1, "beta", CircuitState.Isolated));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/ready")).StatusCode);
    }

    [Fact]
    public async Task Ready_is_503_with_no_backends_configured()
    {
        await using var proxy = new ProxyFactory(garnet.ConnectionString, _prefix, withBackends: false);
        using var client = proxy.CreateClient();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/ready")).StatusCode);
    }

    [Fact]
    public async Task Without_redis_the_proxy_serves_on_local_breakers_and_reports_fail_static()
    {
        await using var proxy = new ProxyFactory($"127.0.0.1:{ClosedPort()},abortConnect=false,connectTimeout=200", _prefix);
        var registry = proxy.Services.GetRequiredService<CircuitBreakerRegistry>();

        for (var i = 0; i < 3; i++)
        {
            using var permit = await registry.AcquirePermitAsync("alpha");
            permit.Failure("transport", "refused");
        }

        Assert.Equal(CircuitState.Open, registry.GetState("alpha"));
        using var client = proxy.CreateClient();
        var response = await client.GetAsync("/health");
        var health = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Equal("Degraded", health.GetProperty("health").GetString());
        Assert.Equal("Degraded", GateCheck(health).GetProperty("status").GetString());
        Assert.StartsWith("fail-static", GateCheck(health).GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/ready")).StatusCode);
    }

    private static CircuitStateChanged Change(long sequence, string backend, CircuitState state) =>
        new(sequence, backend, state, CircuitState.Closed, state == CircuitState.Closed ? 0 : 1, "monitor decided", "monitor",
            DateTimeOffset.UtcNow, state == CircuitState.Open ? DateTimeOffset.UtcNow.AddMinutes(5) : null);

    private async Task WriteSnapshotAsync(params CircuitStateChanged[] changes)
    {
        using var redis = await ConnectionMultiplexer.ConnectAsync(garnet.ConnectionString);
        var fields = changes
            .Select(c => new HashEntry(CircuitSnapshotFormat.CircuitField(c.Backend), JsonSerializer.Serialize(c, CircuitSnapshotFormat.JsonOptions)))
            .Append(new HashEntry(CircuitSnapshotFormat.SequenceField, changes.Max(c => c.Sequence)))
            .ToArray();
        await redis.GetDatabase().HashSetAsync(CircuitSnapshotFormat.SnapshotKey(_prefix), fields);
    }

    private static async Task<JsonElement> GetHealthAsync(ProxyFactory proxy)
    {
        using var client = proxy.CreateClient();
        return JsonDocument.Parse(await client.GetStringAsync("/health")).RootElement;
    }

    private static JsonElement GateCheck(JsonElement health) =>
        health.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "circuit-gate");

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var limit = new CancellationTokenSource(Patience);
        while (!condition())
        {
            await Task.Delay(20, limit.Token);
        }
    }

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
