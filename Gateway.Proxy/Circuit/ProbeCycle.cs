namespace Gateway.Proxy.Circuit;

/// <summary>
/// One half-open probe and everyone waiting on it. Each cycle owns its own result signal, so callers queued in a
/// later cycle can never observe an earlier cycle's result.
/// </summary>
internal sealed class ProbeCycle(BackendCircuit circuit)
{
    private readonly TaskCompletionSource<bool> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _settled;

    /// <summary>True when the probe succeeded (waiters proceed), false when it failed (waiters are refused).</summary>
    public Task<bool> Result => _result.Task;

    public void Complete(bool success, string? failureType, string? message)
    {
        if (Interlocked.Exchange(ref _settled, 1) == 0)
        {
            circuit.CompleteProbe(this, success, failureType, message);
        }
    }

    /// <summary>The permit was disposed: if no outcome was reported, the probe failed.</summary>
    public void Abandon()
    {
        if (Interlocked.Exchange(ref _settled, 1) == 0)
        {
            circuit.AbandonProbe(this);
        }
    }

    public void Publish(bool success) => _result.TrySetResult(success);
}
