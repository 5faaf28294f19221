using Gateway.Contracts.Configuration;

namespace Gateway.Contracts.Circuit;

/// <summary>One change of a breaker's state, as decided by <see cref="CircuitBreakerStateMachine"/>.</summary>
/// <param name="From">State before.</param>
/// <param name="To">State after.</param>
/// <param name="At">When it happened, on the machine's <see cref="TimeProvider"/>.</param>
/// <param name="TripCount">Trips since the breaker was last closed by a success or a reset.</param>
/// <param name="Reason">The last error for trips, <c>probe succeeded</c>, or the operator's reason.</param>
/// <param name="OpenUntil">For Open: when a probe becomes allowed.</param>
public sealed record CircuitTransition(
    CircuitState From,
    CircuitState To,
    DateTimeOffset At,
    int TripCount,
    string? Reason,
    DateTimeOffset? OpenUntil);

/// <summary>
/// The breaker state machine shared by the proxy's local breakers and the monitor's authoritative ones.
/// Closed → Open on <see cref="CircuitBreakerSettings.ConsecutiveFailures"/> consecutive failures, or when the failure
/// ratio over the sampling window reaches <see cref="CircuitBreakerSettings.FailureRatio"/> once
/// <see cref="CircuitBreakerSettings.MinimumThroughput"/> calls were seen; Open → HalfOpen once the break duration has
/// passed (checked by <see cref="Refresh"/>); HalfOpen → Closed on a success, → Open on a failure, with a break duration
/// that grows by <see cref="CircuitBreakerSettings.BreakDurationGrowth"/> per trip up to
/// <see cref="CircuitBreakerSettings.MaxBreakDuration"/>; Isolated is left only by <see cref="Reset"/>.
/// </summary>
/// <remarks>
/// Pure and not thread-safe: the owner serializes calls (a lock in the proxy, one lock per backend in the monitor).
/// Every method that changes the state returns the <see cref="CircuitTransition"/>, or null when nothing changed, so
/// the owner decides what to publish or log; nothing allocates unless the state changes.
/// </remarks>
public sealed class CircuitBreakerStateMachine
{
    /// <summary>Reason recorded when a half-open probe closes the circuit.</summary>
    public const string ProbeSucceededReason = "probe succeeded";

    private const int WindowBuckets = 10;

    private readonly TimeProvider _timeProvider;
    private readonly long[] _bucketSuccesses = new long[WindowBuckets];
    private readonly long[] _bucketFailures = new long[WindowBuckets];
    private long _currentBucket;
    private CircuitBreakerSettings _settings;

    public CircuitBreakerStateMachine(CircuitBreakerSettings settings, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _settings = settings;
        _timeProvider = timeProvider;
        LastTransitionAt = timeProvider.GetUtcNow();
        _currentBucket = BucketOf(LastTransitionAt);
    }

    /// <summary>Thresholds in force; replaced when configuration reloads (counters are kept).</summary>
    public CircuitBreakerSettings Settings
    {
        get => _settings;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            var resample = value.SamplingDuration != _settings.SamplingDuration;
            _settings = value;
            if (resample)
            {
                // Bucket boundaries move with the sampling duration; old counts no longer line up with them.
                Array.Clear(_bucketSuccesses);
                Array.Clear(_bucketFailures);
                _currentBucket = BucketOf(_timeProvider.GetUtcNow());
            }
        }
    }

    public CircuitState State { get; private set; } = CircuitState.Closed;

    /// <summary>Failures since the last success (or since the circuit last closed).</summary>
    public int ConsecutiveFailures { get; private set; }

    /// <summary>Trips since the circuit was last closed by a success or a reset; drives the break duration.</summary>
    public int TripCount { get; private set; }

    /// <summary>The last failure, as <c>type: message</c>, or the operator's reason for isolation.</summary>
    public string? LastError { get; private set; }

    /// <summary>For Open: when a probe becomes allowed.</summary>
    public DateTimeOffset? OpenUntil { get; private set; }

    /// <summary>When the state last changed (creation time before the first change).</summary>
    public DateTimeOffset LastTransitionAt { get; private set; }

    /// <summary>The break duration the next trip will use.</summary>
    public TimeSpan NextBreakDuration => BreakDurationFor(TripCount + 1);

    /// <summary>Records a successful call. Closes a half-open circuit; ignored while Open or Isolated.</summary>
    public CircuitTransition? RecordSuccess()
    {
        switch (State)
        {
            case CircuitState.Closed:
                ConsecutiveFailures = 0;
                _bucketSuccesses[Advance()]++;
                return null;
            case CircuitState.HalfOpen:
                return Close(ProbeSucceededReason);
            default:
                return null;
        }
    }

    /// <summary>Records a failed call. May trip a closed circuit; re-opens a half-open one; ignored while Open or Isolated.</summary>
    public CircuitTransition? RecordFailure(string failureType, string message)
    {
        switch (State)
        {
            case CircuitState.Closed:
                LastError = Describe(failureType, message);
                ConsecutiveFailures++;
                _bucketFailures[Advance()]++;
                return ConsecutiveFailures >= _settings.ConsecutiveFailures || RatioExceeded() ? Open(LastError) : null;
            case CircuitState.HalfOpen:
                LastError = Describe(failureType, message);
                ConsecutiveFailures++;
                return Open(LastError);
            default:
                return null;
        }
    }

    /// <summary>Moves Open to HalfOpen once the break duration has passed; call before deciding on a call.</summary>
    public CircuitTransition? Refresh()
    {
        if (State != CircuitState.Open || OpenUntil is not { } until)
        {
            return null;
        }

        var now = _timeProvider.GetUtcNow();
        return now >= until ? MoveTo(CircuitState.HalfOpen, now, LastError, openUntil: null) : null;
    }

    /// <summary>Opens the circuit now (for example when active probes find the backend unhealthy). Ignored while Open or Isolated.</summary>
    public CircuitTransition? Trip(string reason)
    {
        if (State is CircuitState.Open or CircuitState.Isolated)
        {
            return null;
        }

        LastError = reason;
        return Open(reason);
    }

    /// <summary>Isolates the circuit until <see cref="Reset"/>, whatever its state.</summary>
    public CircuitTransition? Isolate(string reason)
    {
        if (State == CircuitState.Isolated)
        {
            return null;
        }

        LastError = reason;
        return MoveTo(CircuitState.Isolated, _timeProvider.GetUtcNow(), reason, openUntil: null);
    }

    /// <summary>Closes the circuit and clears every counter, whatever its state.</summary>
    public CircuitTransition? Reset(string reason)
    {
        if (State == CircuitState.Closed)
        {
            ClearCounters();
            return null;
        }

        return Close(reason);
    }

    /// <summary>
    /// Adopts a state decided elsewhere (the monitor's authoritative breaker). Open keeps the given trip count and
    /// probe time so every replica probes at the same moment; Closed clears the counters. Isolation wins: only
    /// Closed (a reset) leaves it.
    /// </summary>
    public CircuitTransition? Adopt(CircuitState state, int tripCount, string? reason, DateTimeOffset? openUntil)
    {
        if (State == CircuitState.Isolated && state is CircuitState.Open or CircuitState.HalfOpen)
        {
            return null;
        }

        var now = _timeProvider.GetUtcNow();
        switch (state)
        {
            case CircuitState.Closed:
                return Reset(reason ?? "reset");
            case CircuitState.Isolated:
                return Isolate(reason ?? "isolated");
            case CircuitState.Open:
                TripCount = Math.Max(tripCount, 1);
                LastError = reason ?? LastError;
                var until = openUntil ?? now + BreakDurationFor(TripCount);
                if (State == CircuitState.Open)
                {
                    OpenUntil = until;
                    return null;
                }

                return MoveTo(CircuitState.Open, now, LastError, until);
            default:
                TripCount = Math.Max(tripCount, TripCount);
                return State == CircuitState.HalfOpen ? null : MoveTo(CircuitState.HalfOpen, now, reason ?? LastError, openUntil: null);
        }
    }

    /// <summary>Failures and calls in the sampling window, for diagnostics.</summary>
    public (long Failures, long Total) WindowCounts()
    {
        Advance();
        long failures = 0, total = 0;
        for (var i = 0; i < WindowBuckets; i++)
        {
            failures += _bucketFailures[i];
            total += _bucketFailures[i] + _bucketSuccesses[i];
        }

        return (failures, total);
    }

    private CircuitTransition Open(string? reason)
    {
        TripCount++;
        var now = _timeProvider.GetUtcNow();
        return MoveTo(CircuitState.Open, now, reason, now + BreakDurationFor(TripCount));
    }

    private CircuitTransition Close(string reason)
    {
        ClearCounters();
        TripCount = 0;
        return MoveTo(CircuitState.Closed, _timeProvider.GetUtcNow(), reason, openUntil: null);
    }

    private CircuitTransition MoveTo(CircuitState to, DateTimeOffset now, string? reason, DateTimeOffset? openUntil)
    {
        var from = State;
        State = to;
        OpenUntil = openUntil;
        LastTransitionAt = now;
        return new CircuitTransition(from, to, now, TripCount, reason, openUntil);
    }

    private void ClearCounters()
    {
        ConsecutiveFailures = 0;
        Array.Clear(_bucketSuccesses);
        Array.Clear(_bucketFailures);
    }

    private TimeSpan BreakDurationFor(int trip)
    {
        var scaled = _settings.BreakDuration.Ticks * Math.Pow(_settings.BreakDurationGrowth, Math.Max(trip - 1, 0));
        return scaled >= _settings.MaxBreakDuration.Ticks ? _settings.MaxBreakDuration : TimeSpan.FromTicks((long)scaled);
    }

    private bool RatioExceeded()
    {
        var (failures, total) = WindowCounts();
        return total >= _settings.MinimumThroughput && (double)failures / total >= _settings.FailureRatio;
    }

    /// <summary>Rolls the window forward to now, clearing buckets that fell out of it; returns the current slot.</summary>
    private int Advance()
    {
        var bucket = BucketOf(_timeProvider.GetUtcNow());
        if (bucket != _currentBucket)
        {
            var stale = Math.Min(bucket - _currentBucket, WindowBuckets);
            for (long i = 1; i <= stale; i++)
            {
                var slot = (int)((_currentBucket + i) % WindowBuckets);
                _bucketSuccesses[slot] = 0;
                _bucketFailures[slot] = 0;
            }

            _currentBucket = bucket;
        }

        return (int)(bucket % WindowBuckets);
    }

    private long BucketOf(DateTimeOffset at) =>
        at.UtcTicks / Math.Max(_settings.SamplingDuration.Ticks / WindowBuckets, 1);

    private static string Describe(string failureType, string message) =>
        string.IsNullOrEmpty(failureType) ? message : $"{failureType}: {message}";
}
