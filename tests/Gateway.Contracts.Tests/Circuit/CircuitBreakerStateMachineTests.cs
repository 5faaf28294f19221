using Gateway.Contracts.Circuit;
using Gateway.Contracts.Configuration;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Contracts.Tests.Circuit;

public sealed class CircuitBreakerStateMachineTests
{
    private readonly FakeTimeProvider _time = new();

    private CircuitBreakerStateMachine Create(CircuitBreakerOptions? options = null) =>
        new((options ?? new CircuitBreakerOptions { ConsecutiveFailures = 3 }).Resolve(), _time);

    [Fact]
    public void Starts_closed_with_no_counts()
    {
        var machine = Create();

        Assert.Equal(CircuitState.Closed, machine.State);
        Assert.Equal(0, machine.ConsecutiveFailures);
        Assert.Equal(0, machine.TripCount);
        Assert.Null(machine.LastError);
    }

    [Fact]
    public void Opens_after_the_configured_consecutive_failures()
    {
        var machine = Create();

        Assert.Null(machine.RecordFailure("timeout", "a"));
        Assert.Null(machine.RecordFailure("timeout", "b"));
        var transition = machine.RecordFailure("transport", "connection refused");

        Assert.NotNull(transition);
        Assert.Equal(CircuitState.Closed, transition.From);
        Assert.Equal(CircuitState.Open, transition.To);
        Assert.Equal(1, transition.TripCount);
        Assert.Equal("transport: connection refused", transition.Reason);
        Assert.Equal(_time.GetUtcNow() + TimeSpan.FromSeconds(5), transition.OpenUntil);
        Assert.Equal(CircuitState.Open, machine.State);
        Assert.Equal("transport: connection refused", machine.LastError);
    }

    [Fact]
    public void A_success_resets_the_consecutive_failure_count()
    {
        var machine = Create();

        machine.RecordFailure("t", "1");
        machine.RecordFailure("t", "2");
        machine.RecordSuccess();
        machine.RecordFailure("t", "3");
        machine.RecordFailure("t", "4");

        Assert.Equal(CircuitState.Closed, machine.State);
        Assert.Equal(2, machine.ConsecutiveFailures);
    }

    [Fact]
    public void Opens_on_failure_ratio_once_minimum_throughput_is_reached()
    {
        var machine = Create(new CircuitBreakerOptions { ConsecutiveFailures = 100, FailureRatio = 0.5, MinimumThroughput = 10 });

        // Alternate so consecutive failures never exceed one: only the ratio can trip.
        for (var i = 0; i < 4; i++)
        {
            machine.RecordSuccess();
            Assert.Null(machine.RecordFailure("t", "x"));
        }

        machine.RecordSuccess();
        var transition = machine.RecordFailure("t", "tenth call");

        Assert.NotNull(transition);
        Assert.Equal(CircuitState.Open, machine.State);
    }

    [Fact]
    public void Ratio_does_not_trip_below_minimum_throughput()
    {
        var machine = Create(new CircuitBreakerOptions { ConsecutiveFailures = 100, FailureRatio = 0.5, MinimumThroughput = 10 });

        machine.RecordSuccess();
        for (var i = 0; i < 8; i++)
        {
            machine.RecordFailure("t", "x");
        }

        Assert.Equal(CircuitState.Closed, machine.State);
    }

    [Fact]
    public void Outcomes_older_than_the_sampling_window_stop_counting()
    {
        var machine = Create(new CircuitBreakerOptions
        {
            ConsecutiveFailures = 100, FailureRatio = 0.5, MinimumThroughput = 4, SamplingDuration = TimeSpan.FromSeconds(10),
        });

        machine.RecordFailure("t", "old");
        machine.RecordFailure("t", "old");
        machine.RecordSuccess();
        _time.Advance(TimeSpan.FromSeconds(11));
        machine.RecordSuccess();
        machine.RecordFailure("t", "new");

        Assert.Equal((1, 2), machine.WindowCounts());
        Assert.Equal(CircuitState.Closed, machine.State);
    }

    [Fact]
    public void Moves_to_half_open_only_after_the_break_duration()
    {
        var machine = Create();
        Trip(machine);

        _time.Advance(TimeSpan.FromSeconds(4.9));
        Assert.Null(machine.Refresh());
        Assert.Equal(CircuitState.Open, machine.State);

        _time.Advance(TimeSpan.FromSeconds(0.1));
        var transition = machine.Refresh();

        Assert.NotNull(transition);
        Assert.Equal(CircuitState.HalfOpen, machine.State);
    }

    [Fact]
    public void Probe_success_closes_and_clears_trip_count()
    {
        var machine = Create();
        Trip(machine);
        _time.Advance(TimeSpan.FromSeconds(5));
        machine.Refresh();

        var transition = machine.RecordSuccess();

        Assert.NotNull(transition);
        Assert.Equal(CircuitState.Closed, transition.To);
        Assert.Equal(CircuitBreakerStateMachine.ProbeSucceededReason, transition.Reason);
        Assert.Equal(0, machine.TripCount);
        Assert.Equal(0, machine.ConsecutiveFailures);
    }

    [Fact]
    public void Probe_failure_reopens_with_a_longer_break_up_to_the_maximum()
    {
        var machine = Create(new CircuitBreakerOptions
        {
            ConsecutiveFailures = 1, BreakDuration = TimeSpan.FromSeconds(5), BreakDurationGrowth = 2, MaxBreakDuration = TimeSpan.FromSeconds(30),
        });
        machine.RecordFailure("t", "x");
        var expected = new[] { 10, 20, 30, 30 };

        foreach (var seconds in expected)
        {
            _time.Advance(machine.OpenUntil!.Value - _time.GetUtcNow());
            Assert.NotNull(machine.Refresh());
            var transition = machine.RecordFailure("t", "still failing");
            Assert.NotNull(transition);
            Assert.Equal(CircuitState.HalfOpen, transition.From);
            Assert.Equal(TimeSpan.FromSeconds(seconds), transition.OpenUntil - transition.At);
        }

        Assert.Equal(5, machine.TripCount);
    }

    [Fact]
    public void Outcomes_while_open_are_ignored()
    {
        var machine = Create();
        Trip(machine);

        Assert.Null(machine.RecordSuccess());
        Assert.Null(machine.RecordFailure("t", "late"));
        Assert.Equal(CircuitState.Open, machine.State);
        Assert.Equal(1, machine.TripCount);
    }

    [Fact]
    public void Isolated_is_left_only_by_reset()
    {
        var machine = Create();
        var isolated = machine.Isolate("maintenance");

        Assert.NotNull(isolated);
        _time.Advance(TimeSpan.FromHours(1));
        Assert.Null(machine.Refresh());
        Assert.Null(machine.RecordSuccess());
        Assert.Null(machine.Trip("unhealthy"));
        Assert.Null(machine.Adopt(CircuitState.Open, 1, "monitor", null));
        Assert.Equal(CircuitState.Isolated, machine.State);

        var reset = machine.Reset("operator");

        Assert.NotNull(reset);
        Assert.Equal(CircuitState.Isolated, reset.From);
        Assert.Equal(CircuitState.Closed, machine.State);
    }

    [Fact]
    public void Adopting_open_keeps_the_given_probe_time_and_trip_count()
    {
        var machine = Create();
        var until = _time.GetUtcNow() + TimeSpan.FromSeconds(42);

        var transition = machine.Adopt(CircuitState.Open, 3, "monitor says so", until);

        Assert.NotNull(transition);
        Assert.Equal(until, machine.OpenUntil);
        Assert.Equal(3, machine.TripCount);
        Assert.Equal("monitor says so", machine.LastError);
    }

    [Fact]
    public void Records_the_time_of_each_transition()
    {
        var machine = Create();
        _time.Advance(TimeSpan.FromSeconds(7));
        var opened = Trip(machine);

        Assert.Equal(_time.GetUtcNow(), opened.At);
        Assert.Equal(_time.GetUtcNow(), machine.LastTransitionAt);
    }

    private static CircuitTransition Trip(CircuitBreakerStateMachine machine)
    {
        CircuitTransition? transition = null;
        while (transition is null)
        {
            transition = machine.RecordFailure("t", "boom");
        }

        return transition;
    }
}
