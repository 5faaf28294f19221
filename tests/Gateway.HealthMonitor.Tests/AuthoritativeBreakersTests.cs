using Gateway.Contracts.Circuit;
using Gateway.Contracts.Configuration;
using Gateway.Contracts.Messages;
using Gateway.HealthMonitor.Breakers;
using Gateway.HealthMonitor.Leadership;
using Gateway.HealthMonitor.Monitoring;
using Gateway.HealthMonitor.Tests.Fixtures;
using Gateway.HealthMonitor.Transitions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.HealthMonitor.Tests;

/// <summary>The monitor's decisions on virtual time, without Redis or the bus: what gets queued for publication.</summary>
public sealed class AuthoritativeBreakersTests : IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly LeadershipState _leadership = new("monitor-test");
    private readonly PendingTransitions _pending = new();
    private readonly AuthoritativeBreakers _breakers;

    public AuthoritativeBreakersTests()
    {
        var gateway = new GatewayOptions
        {
            Backends = [new BackendOptions { Name = "alpha", Url = new Uri("http://127.0.0.1:1/mcp") }],
            CircuitBreaker = new CircuitBreakerOptions { ConsecutiveFailures = 3, BreakDuration = TimeSpan.FromSeconds(5) },
        };
        _breakers = new AuthoritativeBreakers(
            new StaticOptionsMonitor<GatewayOptions>(gateway), Options.Create(new HealthMonitorOptions()), _leadership, _pending, _time);
        _leadership.Set(true, _time.GetUtcNow());
    }

    public void Dispose() => _breakers.Dispose();

    [Fact]
    public void One_failed_probe_does_not_flap_health_but_the_unhealthy_threshold_opens_the_circuit()
    {
        _breakers.RecordProbe("alpha", success: false, "refused");
        _breakers.RecordProbe("alpha", success: false, "refused");
        Assert.Empty(Drain());

        _breakers.RecordProbe("alpha", success: false, "refused");

        var decisions = Drain();
        Assert.Equal(new BackendHealthChanged(0, "alpha", false, "probe: refused", _time.GetUtcNow()), decisions[0]);
        var opened = Assert.IsType<CircuitStateChanged>(decisions[1]);
        Assert.Equal((CircuitState.Closed, CircuitState.Open, "monitor"), (opened.PreviousState, opened.State, opened.Actor));
    }

    [Fact]
    public void After_the_break_the_next_probe_decides_the_half_open_circuit()
    {
        Trip();
        _time.Advance(TimeSpan.FromSeconds(5));
        _breakers.Tick();
        Assert.Equal(CircuitState.HalfOpen, Assert.IsType<CircuitStateChanged>(Assert.Single(Drain())).State);

        _breakers.RecordProbe("alpha", success: true, null);

        Assert.Contains(Drain(), d => d is CircuitStateChanged { State: CircuitState.Closed, Reason: CircuitBreakerStateMachine.ProbeSucceededReason });
    }

    [Fact]
    public void Passive_failures_aggregated_from_replicas_trip_the_breaker_with_the_reported_error()
    {
        _breakers.RecordOutcomes(Report("proxy-1", successes: 4, failures: 2));
        Assert.Empty(Drain());

        _breakers.RecordOutcomes(Report("proxy-2", successes: 0, failures: 1));

        var opened = Assert.IsType<CircuitStateChanged>(Assert.Single(Drain()));
        Assert.Equal(CircuitState.Open, opened.State);
        Assert.Equal("timeout: slow", opened.Reason);
    }

    [Fact]
    public void A_standby_ignores_inputs_and_follows_the_leaders_transitions_by_sequence()
    {
        _leadership.Set(false, _time.GetUtcNow());

        _breakers.RecordOutcomes(Report("proxy-1", successes: 0, failures: 10));
        Assert.Empty(Drain());

        _breakers.Adopt(Change(5, CircuitState.Isolated));
        _breakers.Adopt(Change(4, CircuitState.Closed));

        Assert.True(_breakers.TryGet("alpha", out var alpha));
        Assert.Equal(5, alpha.CircuitSequence);
        Assert.Equal(5, _breakers.HighestSequence);
    }

    [Fact]
    public async Task Isolation_ignores_automatic_inputs_and_only_the_leader_accepts_manual_actions()
    {
        Assert.True(_breakers.TryGet("alpha", out var alpha));
        var isolated = _breakers.IsolateAsync(alpha, "ops", "maintenance");
        Assert.Equal(CircuitState.Isolated, Assert.IsType<CircuitStateChanged>(Assert.Single(Drain())).State);

        _breakers.RecordOutcomes(Report("proxy-1", successes: 10, failures: 10));
        _breakers.RecordProbe("alpha", success: true, null);
        Assert.DoesNotContain(Drain(), d => d is CircuitStateChanged);
        Assert.False(isolated.IsCompleted);

        _leadership.Set(false, _time.GetUtcNow());
        Assert.Null(await _breakers.ResetAsync(alpha, "ops"));
        Assert.Empty(Drain());
    }

    [Fact]
    public void A_new_leader_re_asserts_states_that_the_snapshot_lost_with_the_reason_audited()
    {
        _leadership.Set(false, _time.GetUtcNow());
        _breakers.Adopt(Change(9, CircuitState.Isolated));
        _leadership.Set(true, _time.GetUtcNow());

        _breakers.ReassertMissing(CircuitSnapshot.Empty);

        var reasserted = Assert.IsType<CircuitStateChanged>(Assert.Single(Drain()));
        Assert.Equal((CircuitState.Isolated, CircuitState.Isolated), (reasserted.PreviousState, reasserted.State));
        Assert.Equal(AuthoritativeBreakers.ReassertedReason, reasserted.Reason);
        _breakers.ReassertMissing(new CircuitSnapshot(9, [Change(9, CircuitState.Isolated)], []));
        Assert.Empty(Drain());
    }

    private void Trip()
    {
        _breakers.RecordOutcomes(Report("proxy-1", successes: 0, failures: 3));
        Assert.Contains(Drain(), d => d is CircuitStateChanged { State: CircuitState.Open });
    }

    private List<object> Drain()
    {
        var drained = new List<object>();
        while (_pending.Reader.TryRead(out var pending))
        {
            drained.Add(pending switch
            {
                PendingCircuitChange circuit => circuit.Change,
                PendingHealthChange health => health.Change,
                _ => throw new InvalidOperationException("unexpected transition"),
            });
        }

        return drained;
    }

    private BackendOutcomeReport Report(string source, int successes, int failures) =>
        new(source, "alpha", successes, failures, "timeout: slow", _time.GetUtcNow(), _time.GetUtcNow());

    private CircuitStateChanged Change(long sequence, CircuitState state) =>
        new(sequence, "alpha", state, CircuitState.Closed, 1, "leader", "monitor", _time.GetUtcNow(), null);
}
