using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Gateway.Contracts.Circuit;
using Gateway.Contracts.Messages;

namespace Gateway.Proxy.Circuit;

/// <summary>One monitor transition as this replica applied it.</summary>
/// <param name="Sequence">The monitor's sequence number.</param>
/// <param name="State">The state it put the breaker in.</param>
/// <param name="Via"><see cref="CircuitPropagation.Bus"/> or <see cref="CircuitPropagation.Snapshot"/>.</param>
/// <param name="DecidedAt">When the monitor decided it (<see cref="CircuitStateChanged.At"/>, the monitor's clock).</param>
/// <param name="AppliedAt">When this replica's breaker started gating on it (this replica's clock).</param>
public sealed record AppliedTransition(long Sequence, CircuitState State, string Via, DateTimeOffset DecidedAt, DateTimeOffset AppliedAt)
{
    public double PropagationMilliseconds => (AppliedAt - DecidedAt).TotalMilliseconds;
}

/// <summary>
/// How long the monitor's transitions take to gate this replica: from the monitor's decision to the moment the breaker
/// here applied it, which is when the next call sees the new state. Recorded as the histogram
/// <see cref="HistogramName"/> for transitions that arrived on the bus (a snapshot read measures how stale the
/// snapshot was, not propagation), and as the last applied transition per backend, shown on <c>/health</c>.
/// </summary>
/// <remarks>
/// The two ends are read from two processes' clocks: on one host they are the same clock; across hosts the figure
/// includes their skew.
/// </remarks>
public sealed class CircuitPropagation
{
    public const string MeterName = "Gateway.Proxy.Circuit";
    public const string HistogramName = "gateway.circuit.propagation";
    public const string Bus = "bus";
    public const string Snapshot = "snapshot";

    private readonly ConcurrentDictionary<string, AppliedTransition> _last = new(StringComparer.Ordinal);
    private readonly Histogram<double> _propagation;

    public CircuitPropagation(IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(meters);
        _propagation = meters.Create(MeterName).CreateHistogram(
            HistogramName,
            unit: "ms",
            description: "From the health monitor deciding a circuit transition to this proxy replica gating on it",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000] });
    }

    /// <summary>The last monitor transition applied to each backend's breaker.</summary>
    public IReadOnlyDictionary<string, AppliedTransition> Last => _last;

    internal void Applied(CircuitStateChanged change, string via, DateTimeOffset appliedAt)
    {
        var applied = new AppliedTransition(change.Sequence, change.State, via, change.At, appliedAt);
        // Two consumers can finish out of order; the view keeps the newest sequence, as the breaker does.
        _last.AddOrUpdate(change.Backend, applied, (_, current) => current.Sequence > applied.Sequence ? current : applied);
        if (via == Bus)
        {
            _propagation.Record(
                applied.PropagationMilliseconds,
                new KeyValuePair<string, object?>("backend", change.Backend),
                new KeyValuePair<string, object?>("state", change.State.ToString()));
        }
    }
}
