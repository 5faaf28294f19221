using Gateway.Contracts.Circuit;
using Gateway.Contracts.Configuration;
using Gateway.Contracts.Messages;
using Gateway.Proxy.Circuit;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Proxy.Tests.Circuit;

/// <summary>The registry's behaviours, each pinned for an MCP backend (<c>alpha</c>) and an LLM provider (<c>llm</c>) alike.</summary>
public sealed class CircuitBreakerRegistryTests : IDisposable
{
    private static readonly TimeSpan Break = TimeSpan.FromSeconds(5);

    private readonly FakeTimeProvider _time = new();
    private readonly ListLogger<CircuitBreakerRegistry> _logger = new();
    private readonly TestOptionsMonitor<GatewayOptions> _options = new(CircuitTestConfig.TwoBackends());
    private readonly CircuitBreakerRegistry _registry;

    public CircuitBreakerRegistryTests()
    {
        _registry = new CircuitBreakerRegistry(_options, _time, _logger);
    }

    public void Dispose() => _registry.Dispose();

    [Fact]
    public void New_registry_starts_closed_for_every_backend_and_provider()
    {
        Assert.Equal(["alpha", "beta", "llm"], _registry.Backends.Order());
        Assert.All(_registry.Backends, name => Assert.Equal(CircuitState.Closed, _registry.GetState(name)));
        Assert.All(_registry.Backends, name => Assert.Equal(0, _registry.GetFailureCount(name)));
        Assert.All(_registry.Backends, name => Assert.Equal(0, _registry.GetTripCount(name)));
    }

    [Fact]
    public async Task Unknown_backend_is_allowed()
    {
        using var permit = await _registry.AcquirePermitAsync("nobody");

        Assert.Equal(PermitKind.Normal, permit.Kind);
        Assert.Null(permit.Rejection);
    }

    [Theory]
    [InlineData("alpha")]
    [InlineData("llm")]
    public async Task Closed_gives_a_normal_permit(string target)
    {
        var pending = _registry.AcquirePermitAsync(target);

        Assert.True(pending.IsCompletedSuccessfully);
        using var permit = await pending;
        Assert.Equal(PermitKind.Normal, permit.Kind);
    }

    [Theory]
    [InlineData("alpha")]
    [InlineData("llm")]
    public async Task Open_rejects_with_backend_reason_and_trip_count(string target)
    {
        await TripAsync(target);

        using var permit = await _registry.AcquirePermitAsync(target);

        Assert.Equal(PermitKind.Rejected, permit.Kind);
        var rejection = Assert.IsType<CircuitOpenRejection>(permit.Rejection);
        Assert.Equal(target, rejection.Backend);
        Assert.Equal("transport: connection refused", rejection.Reason);
        Assert.Equal(1, rejection.TripCount);
        Assert.Equal(_time.GetUtcNow() + Break, rejection.RetryAfter);
        Assert.Equal(CircuitState.Open, _registry.GetState(target));
        Assert.Equal(1, _registry.GetTripCount(target));
        Assert.Equal(CircuitState.Closed, _registry.GetState("beta"));
    }

    [Theory]
    [InlineData("alpha")]
    [InlineData("llm")]
    public async Task A_success_resets_the_failure_count(string target)
    {
        await FailAsync(target);
        await FailAsync(target);
        await SucceedAsync(target);
        await FailAsync(target);
        await FailAsync(target);

        Assert.Equal(CircuitState.Closed, _registry.GetState(target));
        Assert.Equal(2, _registry.GetFailureCount(target));
    }

    [Theory]
    [InlineData("alpha")]
    [InlineData("llm")]
    public async Task Probe_permit_is_given_after_the_break_duration(string target)
    {
        await TripAsync(target);
        _time.Advance(Break - TimeSpan.FromMilliseconds(1));
        using (var early = await _registry.AcquirePermitAsync(target))
        {
            Assert.Equal(PermitKind.Rejected, early.Kind);
        }

        _time.Advance(TimeSpan.FromMilliseconds(1));
        using var probe = await _registry.AcquirePermitAsync(target);

        Assert.Equal(PermitKind.Probe, probe.Kind);
        Assert.Equal(CircuitState.HalfOpen, _registry.GetState(target));
    }

    [Theory]
    [InlineData("alpha")]
    [InlineData("llm")]
    public async Task Callers_queued_behind_a_successful_probe_proceed_as_normal(string target)
    {
        var probe = await OpenAndTakeProbeAsync(target);
        var waiter = _registry.AcquirePermitAsync(target).AsTask();
        Assert.False(waiter.IsCompleted);

        probe.Success();
        probe.Dispose();

        using var permit = await waiter;
        Assert.Equal(PermitKind.Normal, permit.Kind);
        Assert.Equal(CircuitState.Closed, _registry.GetState(target));
    }

    [Theory]
    [InlineData("alpha")]
    [InlineData("llm")]
    public async Task Callers_queued_behind_a_failed_probe_get_the_circuit_open_error(string target)
    {
        var probe = await OpenAndTakeProbeAsync(target);
        var waiter = _registry.AcquirePermitAsync(target).AsTask();

        probe.Failure("timeout", "no answer in 30 s");
        probe.Dispose();

        using var permit = await waiter;
        Assert.Equal(PermitKind.Rejected, permit.Kind);
        Assert.Equal("timeout: no answer in 30 s", permit.Rejection!.Reason);
        Assert.Equal(2, permit.Rejection.TripCount);
    }

    [Theory]
    [InlineData("alpha")]
    [InlineData("llm")]
    public async Task Five_waiters_are_all_released_by_one_probe(string target)
    {
        var probe = await OpenAndTakeProbeAsync(target);
        var waiters = Enumerable.Range(0, 5).Select(_ => _registry.AcquirePermitAsync(target).AsTask()).ToArray();
        Assert.All(waiters, w => Assert.False(w.IsCompleted));

        probe.Success();
        probe.Dispose();

        var permits = await Task.WhenAll(waiters);
        Assert.All(permits, p => Assert.Equal(PermitKind.Normal, p.Kind));
    }

    [Theory]
    [InlineData("alpha")]
    [InlineData("llm")]
    public async Task Queued_callers_are_refused_when_the_probe_outlasts_the_wait_bound(string target)
    {
        var probe = await OpenAndTakeProbeAsync(target);
        var waiter = _registry.AcquirePermitAsync(target).AsTask();

        _time.Advance(TimeSpan.FromSeconds(10));

        using var permit = await waiter;
        Assert.Equal(PermitKind.Rejected, permit.Kind);
        Assert.Equal(CircuitState.HalfOpen, _registry.GetState(target));
        probe.Dispose();
    }

    [Theory]
    [InlineData("alpha")]
    [InlineData("llm")]
    public async Task Guard_success_closes_the_circuit(string target)
    {
        using (var probe = await OpenAndTakeProbeAsync(target))
        {
            probe.Success();
        }

        Assert.Equal(CircuitState.Closed, _registry.GetState(target));
        Assert.Equal(0, _registry.GetTripCount(target));
    }

    [Theory]
    [InlineData("alpha")]
    [InlineData("llm")]
    public async Task Guard_failure_reopens_the_circuit_with_a_longer_break(string target)
    {
        using (var probe = await OpenAndTakeProbeAsync(target))
        {
            probe.Failure("transport", "still down");
        }

        Assert.Equal(CircuitState.Open, _registry.GetState(target));
        using var rejected = await _registry.AcquirePermitAsync(target);
        Assert.Equal(_time.GetUtcNow() + (Break * 2), rejected.Rejection!.RetryAfter);
    }

    [Theory]
    [InlineData("alpha")]
    [InlineData("llm")]
    public async Task Guard_dropped_without_result_reopens_and_logs_a_warning(string target)
    {
        var probe = await OpenAndTakeProbeAsync(target);
        var waiter = _registry.AcquirePermitAsync(target).AsTask();

        probe.Dispose();

        Assert.Equal(CircuitState.Open, _registry.GetState(target));
        Assert.Equal(PermitKind.Rejected, (await waiter).Kind);
        Assert.Contains(_logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("without an outcome", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("alpha")]
    [InlineData("llm")]
    public async Task Trip_recover_trip_again_waiters_see_the_new_result_not_the_old_one(string target)
    {
        using (var first = await OpenAndTakeProbeAsync(target))
        {
            first.Success();
        }

        var second = await OpenAndTakeProbeAsync(target);
        var waiter = _registry.AcquirePermitAsync(target).AsTask();
        Assert.False(waiter.IsCompleted);

        second.Failure("transport", "down again");
        second.Dispose();

        Assert.Equal(PermitKind.Rejected, (await waiter).Kind);
    }

    [Theory]
    [InlineData("alpha")]
    [InlineData("llm")]
    public async Task Late_answer_to_a_call_admitted_before_the_trip_does_not_close_a_half_open_circuit(string target)
    {
        var early = await _registry.AcquirePermitAsync(target);
        using var probe = await OpenAndTakeProbeAsync(target);

        early.Success();

        Assert.Equal(CircuitState.HalfOpen, _registry.GetState(target));
    }

    [Theory]
    [InlineData("alpha")]
    [InlineData("llm")]
    public async Task Monitor_open_forces_open_and_monitor_closed_resets(string target)
    {
        Assert.True(_registry.Apply(Change(1, target, CircuitState.Open, openUntil: _time.GetUtcNow() + TimeSpan.FromSeconds(30))));

        using (var rejected = await _registry.AcquirePermitAsync(target))
        {
            Assert.Equal(PermitKind.Rejected, rejected.Kind);
            Assert.Equal("monitor decided", rejected.Rejection!.Reason);
        }

        Assert.True(_registry.Apply(Change(2, target, CircuitState.Closed)));
        using var normal = await _registry.AcquirePermitAsync(target);
        Assert.Equal(PermitKind.Normal, normal.Kind);
    }

    [Theory]
    [InlineData("alpha")]
    [InlineData("llm")]
    public async Task Isolation_wins_over_local_outcomes_until_reset(string target)
    {
        _registry.Apply(Change(1, target, CircuitState.Isolated));
        _time.Advance(TimeSpan.FromHours(1));

        using (var rejected = await _registry.AcquirePermitAsync(target))
        {
            Assert.Equal(PermitKind.Rejected, rejected.Kind);
            Assert.Null(rejected.Rejection!.RetryAfter);
        }

        _registry.Apply(Change(2, target, CircuitState.Closed));
        Assert.Equal(CircuitState.Closed, _registry.GetState(target));
    }

    [Theory]
    [InlineData("alpha")]
    [InlineData("llm")]
    public void Duplicate_and_out_of_order_transitions_are_not_applied(string target)
    {
        Assert.True(_registry.Apply(Change(5, target, CircuitState.Open)));
        Assert.False(_registry.Apply(Change(5, target, CircuitState.Open)));
        Assert.False(_registry.Apply(Change(4, target, CircuitState.Closed)));

        Assert.Equal(CircuitState.Open, _registry.GetState(target));
        Assert.Equal(5, _registry.Circuits.Single(c => c.Name == target).AppliedSequence);
    }

    [Theory]
    [InlineData("alpha")]
    [InlineData("llm")]
    public async Task Monitor_reset_releases_callers_waiting_on_a_probe(string target)
    {
        using var probe = await OpenAndTakeProbeAsync(target);
        var waiter = _registry.AcquirePermitAsync(target).AsTask();

        _registry.Apply(Change(1, target, CircuitState.Closed));

        Assert.Equal(PermitKind.Normal, (await waiter).Kind);
    }

    [Fact]
    public void Configuration_reload_adds_and_removes_breakers()
    {
        var next = CircuitTestConfig.TwoBackends();
        next.Backends.RemoveAt(1);
        next.Backends.Add(new BackendOptions { Name = "gamma", Url = new Uri("http://127.0.0.1:1/mcp") });

        _options.Set(next);

        Assert.Equal(["alpha", "gamma", "llm"], _registry.Backends.Order());
    }

    [Fact]
    public async Task Outcomes_are_counted_for_the_outcome_report_and_taken_once()
    {
        await SucceedAsync("beta");
        await SucceedAsync("beta");
        await FailAsync("beta");
        var circuit = _registry.Circuits.Single(c => c.Name == "beta");

        Assert.Equal((2, 1, "transport: connection refused"), circuit.TakeOutcomes());
        Assert.Null(circuit.TakeOutcomes());
    }

    private async Task TripAsync(string backend)
    {
        for (var i = 0; i < 3; i++)
        {
            await FailAsync(backend);
        }
    }

    private async Task<CircuitPermit> OpenAndTakeProbeAsync(string backend)
    {
        if (_registry.GetState(backend) == CircuitState.Closed)
        {
            await TripAsync(backend);
        }

        _time.Advance(_registry.Circuits.Single(c => c.Name == backend).State == CircuitState.Open ? Break * 8 : TimeSpan.Zero);
        var probe = await _registry.AcquirePermitAsync(backend);
        Assert.Equal(PermitKind.Probe, probe.Kind);
        return probe;
    }

    private async Task FailAsync(string backend)
    {
        using var permit = await _registry.AcquirePermitAsync(backend);
        permit.Failure("transport", "connection refused");
    }

    private async Task SucceedAsync(string backend)
    {
        using var permit = await _registry.AcquirePermitAsync(backend);
        permit.Success();
    }

    private CircuitStateChanged Change(long sequence, string backend, CircuitState state, DateTimeOffset? openUntil = null) =>
        new(sequence, backend, state, CircuitState.Closed, state == CircuitState.Closed ? 0 : 1, "monitor decided", "monitor", _time.GetUtcNow(), openUntil);
}
