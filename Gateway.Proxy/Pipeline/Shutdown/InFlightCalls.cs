namespace Gateway.Proxy.Pipeline.Shutdown;

/// <summary>
/// Counts calls inside the pipeline so shutdown can wait for them. Once <see cref="StopAccepting"/> has been called,
/// <see cref="TryEnter"/> refuses, and <see cref="Drained"/> completes when the last admitted call leaves.
/// </summary>
public sealed class InFlightCalls
{
    // Bit 0: stopping; the rest: twice the number of calls inside. One word, so admission and stop cannot race.
    private long _state;
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Count => (int)(Volatile.Read(ref _state) >> 1);

    public bool IsStopping => (Volatile.Read(ref _state) & 1) != 0;

    /// <summary>Completes once stopping was requested and no call is inside.</summary>
    public Task Drained => _drained.Task;

    public bool TryEnter()
    {
        while (true)
        {
            var state = Volatile.Read(ref _state);
            if ((state & 1) != 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _state, state + 2, state) == state)
            {
                return true;
            }
        }
    }

    public void Exit()
    {
        if (Interlocked.Add(ref _state, -2) == 1)
        {
            _drained.TrySetResult();
        }
    }

    public void StopAccepting()
    {
        if (Interlocked.Or(ref _state, 1) >> 1 == 0)
        {
            _drained.TrySetResult();
        }
    }
}
