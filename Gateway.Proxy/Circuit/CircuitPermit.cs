namespace Gateway.Proxy.Circuit;

/// <summary>How a call was admitted by a backend's breaker.</summary>
public enum PermitKind
{
    /// <summary>Closed circuit, or an unknown backend: proceed.</summary>
    Normal,

    /// <summary>The single half-open probe: its outcome decides the circuit.</summary>
    Probe,

    /// <summary>Open (or isolated) circuit: do not call the backend; see <see cref="CircuitPermit.Rejection"/>.</summary>
    Rejected,
}

/// <summary>Why a call was refused by the circuit gate; becomes JSON-RPC error -32007.</summary>
/// <param name="Backend">The backend whose circuit refused the call.</param>
/// <param name="Reason">The last error that tripped it, or the operator's reason for isolation.</param>
/// <param name="TripCount">Trips since the circuit last closed.</param>
/// <param name="RetryAfter">When a probe becomes allowed; null while isolated.</param>
public sealed record CircuitOpenRejection(string Backend, string? Reason, int TripCount, DateTimeOffset? RetryAfter);

/// <summary>
/// Admission to call one backend. Report the outcome with <see cref="Success"/> or <see cref="Failure"/>, then
/// dispose. A probe permit disposed without an outcome counts as a failure, so a probe can never stay in flight.
/// </summary>
/// <remarks>
/// A struct holding a reference to its breaker, so admitting a call on a closed circuit allocates nothing. Only the
/// probe permit carries a guard object (<see cref="ProbeCycle"/>), which remembers whether its outcome was reported.
/// </remarks>
public readonly struct CircuitPermit : IDisposable
{
    private readonly BackendCircuit? _circuit;
    private readonly ProbeCycle? _probe;

    internal CircuitPermit(BackendCircuit circuit)
    {
        _circuit = circuit;
        Kind = PermitKind.Normal;
    }

    internal CircuitPermit(ProbeCycle probe)
    {
        _probe = probe;
        Kind = PermitKind.Probe;
    }

    internal CircuitPermit(CircuitOpenRejection rejection)
    {
        Rejection = rejection;
        Kind = PermitKind.Rejected;
    }

    public PermitKind Kind { get; init; }

    /// <summary>Set when <see cref="Kind"/> is <see cref="PermitKind.Rejected"/>.</summary>
    public CircuitOpenRejection? Rejection { get; init; }

    /// <summary>The backend answered: feeds the breaker and the outcome report.</summary>
    public void Success()
    {
        if (_probe is not null)
        {
            _probe.Complete(success: true, failureType: null, message: null);
        }
        else
        {
            _circuit?.RecordSuccess();
        }
    }

    /// <summary>The backend failed in a way that counts against it (transport error, timeout, 5xx, not MCP).</summary>
    public void Failure(string failureType, string message)
    {
        if (_probe is not null)
        {
            _probe.Complete(success: false, failureType, message);
        }
        else
        {
            _circuit?.RecordFailure(failureType, message);
        }
    }

    /// <summary>Ends the permit; a probe with no reported outcome is recorded as a failure.</summary>
    public void Dispose() => _probe?.Abandon();
}
