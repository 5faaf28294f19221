using Gateway.Contracts.Circuit;
using Gateway.Contracts.Configuration;
using Gateway.Contracts.Messages;

namespace Gateway.Proxy.Circuit;

/// <summary>
/// One backend's breaker in this proxy replica: the shared state machine behind a lock, with the state mirrored into
/// volatile fields so that admitting a call on a closed circuit is one field read, no lock and no allocation.
/// </summary>
/// <remarks>
/// Every mutation happens under <see cref="_gate"/> and the lock is never held across an await: callers queued behind a
/// half-open probe wait on the probe's <see cref="ProbeCycle.Result"/> outside it.
/// </remarks>
public sealed partial class BackendCircuit
{
    private readonly Lock _gate = new();
    private readonly CircuitBreakerStateMachine _machine;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    private volatile int _state;
    private volatile CircuitOpenRejection? _rejection;
    private volatile int _failureCount;
    private volatile int _tripCount;
    private volatile string? _lastError;
    private ProbeCycle? _probe;
    private long _appliedSequence;

    // Outcomes since the last outcome report, taken by the reporter with Interlocked exchanges.
    private int _reportSuccesses;
    private int _reportFailures;
    private string? _reportLastError;

    internal BackendCircuit(string name, CircuitBreakerSettings settings, TimeProvider timeProvider, ILogger logger)
    {
        Name = name;
        _timeProvider = timeProvider;
        _logger = logger;
        _machine = new CircuitBreakerStateMachine(settings, timeProvider);
    }

    public string Name { get; }

    public CircuitState State => (CircuitState)_state;

    /// <summary>Consecutive failures seen by the local breaker.</summary>
    public int FailureCount => _failureCount;

    /// <summary>Trips since the circuit last closed.</summary>
    public int TripCount => _tripCount;

    public string? LastError => _lastError;

    /// <summary>Sequence of the last monitor transition applied (0 before any).</summary>
    public long AppliedSequence => Interlocked.Read(ref _appliedSequence);

    internal CircuitBreakerSettings Settings
    {
        get => _machine.Settings;
        set
        {
            lock (_gate)
            {
                _machine.Settings = value;
            }
        }
    }

    internal ValueTask<CircuitPermit> AcquireAsync(CancellationToken cancellationToken)
    {
        if (_state == (int)CircuitState.Closed)
        {
            return new ValueTask<CircuitPermit>(new CircuitPermit(this));
        }

        ProbeCycle inFlight;
        lock (_gate)
        {
            Mirror(_machine.Refresh());
            switch (_machine.State)
            {
                case CircuitState.Closed:
                    return new ValueTask<CircuitPermit>(new CircuitPermit(this));
                case CircuitState.HalfOpen when _probe is null:
                    _probe = new ProbeCycle(this);
                    LogProbeStarted(Name);
                    return new ValueTask<CircuitPermit>(new CircuitPermit(_probe));
                case CircuitState.HalfOpen:
                    inFlight = _probe;
                    break;
                default:
                    return new ValueTask<CircuitPermit>(new CircuitPermit(_rejection!));
            }
        }

        return WaitForProbeAsync(inFlight, cancellationToken);
    }

    internal void RecordSuccess()
    {
        Interlocked.Increment(ref _reportSuccesses);
        if (_state != (int)CircuitState.Closed)
        {
            // Only the probe decides a half-open circuit; a late answer to a call admitted earlier must not.
            return;
        }

        lock (_gate)
        {
            if (_machine.State == CircuitState.Closed)
            {
                Mirror(_machine.RecordSuccess());
            }
        }
    }

    internal void RecordFailure(string failureType, string message)
    {
        Interlocked.Increment(ref _reportFailures);
        _reportLastError = $"{failureType}: {message}";
        if (_state != (int)CircuitState.Closed)
        {
            return;
        }

        lock (_gate)
        {
            if (_machine.State == CircuitState.Closed)
            {
                Mirror(_machine.RecordFailure(failureType, message));
            }
        }
    }

    internal void CompleteProbe(ProbeCycle cycle, bool success, string? failureType, string? message)
    {
        if (success)
        {
            Interlocked.Increment(ref _reportSuccesses);
        }
        else
        {
            Interlocked.Increment(ref _reportFailures);
            _reportLastError = $"{failureType}: {message}";
        }

        lock (_gate)
        {
            if (ReferenceEquals(_probe, cycle))
            {
                _probe = null;
                Mirror(success ? _machine.RecordSuccess() : _machine.RecordFailure(failureType ?? "probe", message ?? "probe failed"));
            }
        }

        // A cycle superseded by a monitor transition was already published with that transition's verdict.
        cycle.Publish(success);
    }

    internal void AbandonProbe(ProbeCycle cycle)
    {
        LogProbeAbandoned(Name);
        CompleteProbe(cycle, success: false, "abandoned", "probe permit disposed without an outcome");
    }

    /// <summary>
    /// Applies a transition decided by the monitor if it is newer than the last one applied; returns false for a
    /// duplicate or out-of-order one.
    /// </summary>
    internal bool Apply(CircuitStateChanged change)
    {
        ProbeCycle? superseded = null;
        bool verdict;
        lock (_gate)
        {
            if (change.Sequence <= _appliedSequence)
            {
                return false;
            }

            Interlocked.Exchange(ref _appliedSequence, change.Sequence);
            var transition = _machine.Adopt(change.State, change.TripCount, change.Reason, change.OpenUntil);
            Mirror(transition, force: true);
            if (_probe is not null && _machine.State != CircuitState.HalfOpen)
            {
                superseded = _probe;
                _probe = null;
            }

            verdict = _machine.State == CircuitState.Closed;
        }

        superseded?.Publish(verdict);
        return true;
    }

    /// <summary>Outcomes since the previous call, for the outcome report; null when there were none.</summary>
    internal (int Successes, int Failures, string? LastError)? TakeOutcomes()
    {
        var successes = Interlocked.Exchange(ref _reportSuccesses, 0);
        var failures = Interlocked.Exchange(ref _reportFailures, 0);
        var lastError = Interlocked.Exchange(ref _reportLastError, null);
        return successes == 0 && failures == 0 ? null : (successes, failures, lastError);
    }

    private async ValueTask<CircuitPermit> WaitForProbeAsync(ProbeCycle cycle, CancellationToken cancellationToken)
    {
        bool succeeded;
        try
        {
            succeeded = await cycle.Result.WaitAsync(_machine.Settings.ProbeWaitTimeout, _timeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return new CircuitPermit(new CircuitOpenRejection(Name, "timed out waiting for the half-open probe", TripCount, null));
        }

        return succeeded ? new CircuitPermit(this) : new CircuitPermit(_rejection ?? Rejection());
    }

    /// <summary>Copies the machine's state into the lock-free mirrors; call under <see cref="_gate"/>.</summary>
    private void Mirror(CircuitTransition? transition, bool force = false)
    {
        _failureCount = _machine.ConsecutiveFailures;
        _tripCount = _machine.TripCount;
        _lastError = _machine.LastError;
        if (transition is null && !force)
        {
            return;
        }

        if (_machine.State is CircuitState.Open or CircuitState.Isolated)
        {
            _rejection = Rejection();
        }

        _state = (int)_machine.State;
        if (transition is not null)
        {
            LogTransition(Name, transition.From, transition.To, transition.TripCount, transition.Reason);
        }
    }

    private CircuitOpenRejection Rejection() => new(
        Name,
        _machine.State == CircuitState.Isolated ? $"isolated: {_machine.LastError}" : _machine.LastError,
        _machine.TripCount,
        _machine.OpenUntil);

    [LoggerMessage(Level = LogLevel.Information, Message = "Circuit {Backend}: {From} -> {To} (trip {TripCount}): {Reason}")]
    private partial void LogTransition(string backend, CircuitState from, CircuitState to, int tripCount, string? reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Circuit {Backend}: half-open probe admitted")]
    private partial void LogProbeStarted(string backend);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Circuit {Backend}: probe permit disposed without an outcome; counted as a failure")]
    private partial void LogProbeAbandoned(string backend);
}
