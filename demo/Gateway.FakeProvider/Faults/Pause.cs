namespace Gateway.FakeProvider.Faults;

/// <summary>
/// The fake's waits (latency, slow streams, hangs) on the injected <see cref="TimeProvider"/>, so tests run them on
/// virtual time; each ends early when the client disconnects or the server stops, so disposal never waits on a fault.
/// </summary>
internal sealed class Pause(TimeProvider time, IHostApplicationLifetime lifetime)
{
    public async Task ForAsync(HttpContext context, TimeSpan delay)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        await Task.Delay(delay, time, cancel.Token);
    }

    public bool IsStopping(HttpContext context) =>
        context.RequestAborted.IsCancellationRequested || lifetime.ApplicationStopping.IsCancellationRequested;
}
