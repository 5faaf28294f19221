namespace Gateway.Proxy.Circuit;

/// <summary>
/// What this replica knows about its link to the monitor, for <c>/health</c>: whether the snapshot was loaded,
/// whether the per-instance transition queue is connected, and the last transition applied.
/// </summary>
public sealed class CircuitSyncStatus
{
    private readonly Lock _gate = new();
    private long _snapshotSequence = -1;
    private long _lastAppliedSequence;
    private long _ignoredTransitions;
    private volatile bool _busConnected;
    private volatile string? _lastSnapshotError;
    private DateTimeOffset? _lastTransitionAt;

    /// <summary>Sequence of the last snapshot read; -1 before the first successful read.</summary>
    public long SnapshotSequence => Interlocked.Read(ref _snapshotSequence);

    public bool SnapshotLoaded => SnapshotSequence >= 0;

    public string? LastSnapshotError => _lastSnapshotError;

    public bool BusConnected => _busConnected;

    /// <summary>Highest monitor sequence applied, from the snapshot or an event.</summary>
    public long LastAppliedSequence => Interlocked.Read(ref _lastAppliedSequence);

    /// <summary>Events dropped as duplicates, out of order, or for unknown backends.</summary>
    public long IgnoredTransitions => Interlocked.Read(ref _ignoredTransitions);

    public DateTimeOffset? LastTransitionAt
    {
        get
        {
            lock (_gate)
            {
                return _lastTransitionAt;
            }
        }
    }

    internal void SnapshotRead(long sequence)
    {
        Interlocked.Exchange(ref _snapshotSequence, sequence);
        _lastSnapshotError = null;
        Raise(ref _lastAppliedSequence, sequence);
    }

    internal void SnapshotFailed(string error) => _lastSnapshotError = error;

    internal void BusChanged(bool connected) => _busConnected = connected;

    internal void TransitionSeen(long sequence, bool applied, DateTimeOffset at)
    {
        if (!applied)
        {
            Interlocked.Increment(ref _ignoredTransitions);
            return;
        }

        Raise(ref _lastAppliedSequence, sequence);
        lock (_gate)
        {
            _lastTransitionAt = at;
        }
    }

    private static void Raise(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
