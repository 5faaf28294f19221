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
public sealed record CircuitOpenRejection(string Backend, string? Reason, int TripCount, DateTimeOffset? RetryAfter);

/// <summary>
/// Admission to call one backend. Report the outcome with <see cref="Success"/> or <see cref="Failure"/>, then
/// dispose. A probe permit disposed without an outcome counts as a failure.
/// </summary>
public readonly struct CircuitPermit : IDisposable
{
    public PermitKind Kind { get; init; }

    public CircuitOpenRejection? Rejection { get; init; }

    public void Success()
    {
    }

    public void Failure(string failureType, string message)
    {
    }

    public void Dispose()
    {
    }
}

/// <summary>One breaker per configured backend and provider, replicating the health monitor's authoritative state.</summary>
/// <remarks>Placeholder that admits every call; the circuit work replaces this body.</remarks>
public sealed class CircuitBreakerRegistry
{
    public ValueTask<CircuitPermit> AcquirePermitAsync(string backend, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(backend);
        return ValueTask.FromResult(new CircuitPermit { Kind = PermitKind.Normal });
    }
}
