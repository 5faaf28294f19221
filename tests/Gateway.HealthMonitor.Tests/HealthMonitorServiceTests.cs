using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Contracts.Circuit;
using Gateway.Contracts.Messages;
using Gateway.HealthMonitor.Api;
using Gateway.HealthMonitor.Tests.Fixtures;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using Gateway.Testing;

namespace Gateway.HealthMonitor.Tests;

/// <summary>The monitor as a service: leader election, passive and active inputs, transitions, API and snapshot.</summary>
public sealed class HealthMonitorServiceTests(GarnetServer garnet) : IClassFixture<GarnetServer>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly string _prefix = "test:" + Guid.NewGuid().ToString("N");
    private FaultInjectingMcpServer _backend = null!;
    private ProviderStub _provider = null!;
    private MonitorFactory _monitor = null!;

    public async Task InitializeAsync()
    {
        _backend = await FaultInjectingMcpServer.StartAsync();
        _provider = await ProviderStub.StartAsync();
        _monitor = Create("monitor-a");
    }

    public async Task DisposeAsync()
    {
        await _monitor.DisposeAsync();
        await _backend.DisposeAsync();
        await _provider.DisposeAsync();
    }

    [Fact]
    public async Task Lists_every_backend_closed_once_leading()
    {
        var view = await WaitForAsync(_monitor, v => v.Leader);

        Assert.Equal("monitor-a", view.InstanceId);
        Assert.Equal([("alpha", "http"), ("llm", "provider"), ("local", "stdio")], view.Backends.Select(b => (b.Name, b.Kind)));
        Assert.All(view.Backends, b => Assert.Equal(CircuitState.Closed, b.State));
        using var client = _monitor.CreateClient(MonitorFactory.AuditorKey);
        Assert.Contains("\"state\":\"Closed\"", await client.GetStringAsync("/api/backends"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Backends_api_requires_an_auditor_or_admin_and_isolate_requires_an_admin()
    {
        using var anonymous = _monitor.CreateClient();
        using var agent = _monitor.CreateClient(MonitorFactory.AgentKey);
        using var auditor = _monitor.CreateClient(MonitorFactory.AuditorKey);

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/backends")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await agent.GetAsync("/api/backends")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await auditor.GetAsync("/api/backends")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await auditor.PostAsync("/api/backends/alpha/isolate", null)).StatusCode);
    }

    [Fact]
    public async Task Passive_failures_from_proxies_open_the_circuit_with_a_sequenced_published_transition_in_the_snapshot()
    {
        await WaitForAsync(_monitor, v => v.Leader);
        var harness = _monitor.Services.GetTestHarness();

        await harness.Bus.Publish(new BackendOutcomeBatch("proxy-1", [Report("local", failures: 2)]));
        await harness.Bus.Publish(new BackendOutcomeBatch("proxy-2", [Report("local", failures: 3)]));

        // Transitions are listed once committed (sequenced in Redis), a moment after the breaker decides.
        var view = await WaitForAsync(_monitor, v => Backend(v, "local").Transitions.Any(t => t.State == CircuitState.Open));
        var local = Backend(view, "local");
        Assert.Equal(1, local.TripCount);
        Assert.Equal(5, local.Passive.Failures);
        var transition = Assert.Single(local.Transitions);
        Assert.Equal("monitor", transition.Actor);
        Assert.Equal("transport: refused", transition.Reason);
        Assert.True(await harness.Published.Any<CircuitStateChanged>(m =>
            m.Context.Message.Backend == "local" && m.Context.Message.State == CircuitState.Open && m.Context.Message.Sequence == transition.Sequence));
        var snapshot = await ReadSnapshotAsync();
        Assert.Equal(transition, snapshot.Circuits.Single(c => c.Backend == "local"));
    }

    [Fact]
    public async Task Isolate_and_reset_through_the_api_are_published_with_the_admin_as_actor()
    {
        await WaitForAsync(_monitor, v => v.Leader);
        using var admin = _monitor.CreateClient(MonitorFactory.AdminKey);

        var isolated = await admin.PostAsJsonAsync("/api/backends/local/isolate", new IsolateRequest("maintenance window"));
        Assert.Equal(HttpStatusCode.OK, isolated.StatusCode);
        Assert.Equal(CircuitState.Isolated, (await isolated.Content.ReadFromJsonAsync<BackendView>(Json))!.State);

        // Isolation wins over automatic inputs until an admin resets it.
        var harness = _monitor.Services.GetTestHarness();
        await harness.Bus.Publish(new BackendOutcomeBatch("proxy-1", [Report("local", failures: 0, successes: 10)]));
        var reset = await admin.PostAsync("/api/backends/local/reset", null);
        var view = (await reset.Content.ReadFromJsonAsync<BackendView>(Json))!;

        Assert.Equal(CircuitState.Closed, view.State);
        Assert.Equal(
            [(CircuitState.Isolated, "ops-admin", "maintenance window"), (CircuitState.Closed, "ops-admin", "reset by ops-admin")],
            view.Transitions.Select(t => (t.State, t.Actor, t.Reason)));
        Assert.True(view.Transitions[1].Sequence > view.Transitions[0].Sequence);
        Assert.True(await harness.Published.Any<CircuitStateChanged>(m => m.Context.Message.Actor == "ops-admin" && m.Context.Message.State == CircuitState.Closed));
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync("/api/backends/nobody/reset", null)).StatusCode);
    }

    [Fact]
    public async Task Active_probes_mark_a_failing_backend_unhealthy_open_it_and_close_it_through_a_probe_once_healed()
    {
        await WaitForAsync(_monitor, v => Backend(v, "alpha").Healthy == true);
        Assert.True(_backend.Pings > 0);

        _backend.Failing = true;
        var opened = await WaitForAsync(_monitor, v => Backend(v, "alpha").State == CircuitState.Open);
        Assert.False(Backend(opened, "alpha").Healthy);
        Assert.StartsWith("probe: ", Backend(opened, "alpha").LastError, StringComparison.Ordinal);

        _backend.Failing = false;
        var closed = await WaitForAsync(_monitor, v => Backend(v, "alpha") is { Healthy: true, Transitions: [.., { State: CircuitState.Closed }] });

        Assert.Equal(
            [CircuitState.Open, CircuitState.HalfOpen, CircuitState.Closed],
            Backend(closed, "alpha").Transitions.Select(t => t.State).SkipWhile(s => s != CircuitState.Open).Take(3));
        var harness = _monitor.Services.GetTestHarness();
        Assert.True(await harness.Published.Any<BackendHealthChanged>(m => m.Context.Message.Backend == "alpha" && !m.Context.Message.Healthy));
    }

    [Theory]
    [InlineData("attacker.example", null)]
    [InlineData("localhost", "http://attacker.example")]
    public async Task An_admin_action_with_a_foreign_host_or_origin_is_refused_and_changes_nothing(string host, string? origin)
    {
        using var admin = _monitor.CreateClient(MonitorFactory.AdminKey);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/backends/alpha/isolate");
        request.Headers.Host = host;
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        using var response = await admin.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("DNS rebinding", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.NotEqual(CircuitState.Isolated, Backend(await WaitForAsync(_monitor, _ => true), "alpha").State);
    }

    [Fact]
    public async Task Probes_present_the_backends_own_credential()
    {
        await WaitForAsync(_monitor, v => Backend(v, "alpha").Healthy == true);

        Assert.NotEmpty(_backend.Authorizations);
        Assert.All(_backend.Authorizations, header => Assert.Equal("Bearer " + MonitorFactory.ProbeSecret, header));
    }

    [Fact]
    public async Task A_provider_is_probed_with_its_key_listed_with_its_probe_state_and_opened_while_it_answers_503()
    {
        var healthy = Backend(await WaitForAsync(_monitor, v => Backend(v, "llm").Healthy == true), "llm");
        Assert.Equal("provider", healthy.Kind);
        Assert.NotNull(healthy.Probes.LastProbeAt);
        Assert.All(_provider.Requests, r => Assert.Equal(("/v1/models", "Bearer " + MonitorFactory.ProviderKey), (r.Path, r.Headers["Authorization"])));

        _provider.Status = HttpStatusCode.ServiceUnavailable;
        var opened = Backend(await WaitForAsync(_monitor, v => Backend(v, "llm").State == CircuitState.Open), "llm");

        Assert.False(opened.Healthy);
        Assert.Equal("GET models answered 503", opened.Probes.LastError);
        Assert.Equal("probe: GET models answered 503", opened.LastError);

        _provider.Status = HttpStatusCode.OK;
        await WaitForAsync(_monitor, v => Backend(v, "llm") is { Healthy: true, State: CircuitState.Closed });
    }

    [Fact]
    public async Task A_standby_takes_over_when_the_leader_stops_and_continues_the_sequence()
    {
        await WaitForAsync(_monitor, v => v.Leader);
        await using var standby = Create("monitor-b");
        var standbyView = await WaitForAsync(standby, v => !v.Leader && v.InstanceId == "monitor-b");
        Assert.False(standbyView.Leader);
        using (var admin = standby.CreateClient(MonitorFactory.AdminKey))
        {
            // In memory the leader listens on no network address a standby could forward to, so it refuses: 503.
            // Forwarding between processes is covered by the whole-system circuit tests.
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await admin.PostAsync("/api/backends/local/isolate", null)).StatusCode);
        }

        using (var admin = _monitor.CreateClient(MonitorFactory.AdminKey))
        {
            await admin.PostAsync("/api/backends/local/isolate", null);
        }

        var before = (await ReadSnapshotAsync()).Sequence;
        await _monitor.DisposeAsync();

        await WaitForAsync(standby, v => v.Leader);
        using var standbyAdmin = standby.CreateClient(MonitorFactory.AdminKey);
        var reset = await (await standbyAdmin.PostAsync("/api/backends/local/reset", null)).Content.ReadFromJsonAsync<BackendView>(Json);

        Assert.Equal(CircuitState.Closed, reset!.State);
        Assert.True(reset.Sequence > before);
        Assert.Equal(reset.Sequence, (await ReadSnapshotAsync()).Sequence);
        _monitor = Create("monitor-a");
    }

    [Fact]
    public async Task A_standby_never_forwards_a_request_that_was_already_forwarded()
    {
        await WaitForAsync(_monitor, v => v.Leader);
        await using var standby = Create("monitor-b");
        await WaitForAsync(standby, v => !v.Leader && v.InstanceId == "monitor-b");
        using var admin = standby.CreateClient(MonitorFactory.AdminKey);
        admin.DefaultRequestHeaders.Add(LeaderForwarder.ForwardedByHeader, "monitor-c");

        var response = await admin.PostAsync("/api/backends/local/isolate", null);

        // Leadership moved while the request travelled: the caller retries, instead of the request bouncing around.
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("leadership moved", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static readonly JsonSerializerOptions Json = CircuitSnapshotFormat.JsonOptions;

    private MonitorFactory Create(string instance) => new(garnet.ConnectionString, _prefix, instance, _backend.Url, _provider.BaseUrl);

    private static BackendOutcomeReport Report(string backend, int failures, int successes = 0) =>
        new("proxy", backend, successes, failures, "transport: refused", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);

    private static BackendView Backend(BackendsView view, string name) => view.Backends.Single(b => b.Name == name);

    private async Task<CircuitSnapshot> ReadSnapshotAsync()
    {
        using var redis = await ConnectionMultiplexer.ConnectAsync(garnet.ConnectionString);
        var entries = await redis.GetDatabase().HashGetAllAsync(CircuitSnapshotFormat.SnapshotKey(_prefix));
        return CircuitSnapshotFormat.Parse(entries.Select(e => new KeyValuePair<string, string>(e.Name!, e.Value!)));
    }

    /// <summary>Polls <c>GET /api/backends</c> until <paramref name="condition"/> holds; fails after a generous limit.</summary>
    private static async Task<BackendsView> WaitForAsync(MonitorFactory monitor, Func<BackendsView, bool> condition)
    {
        using var client = monitor.CreateClient(MonitorFactory.AuditorKey);
        using var limit = new CancellationTokenSource(Patience);
        BackendsView? last = null;
        while (!limit.IsCancellationRequested)
        {
            last = await client.GetFromJsonAsync<BackendsView>("/api/backends", Json, limit.Token);
            if (last is not null && condition(last))
            {
                return last;
            }

            await Task.Delay(50, limit.Token);
        }

        throw new TimeoutException("Condition not reached; last view: " + JsonSerializer.Serialize(last, Json));
    }
}
