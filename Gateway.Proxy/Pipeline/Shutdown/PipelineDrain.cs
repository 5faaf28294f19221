namespace Gateway.Proxy.Pipeline.Shutdown;

/// <summary>
/// On shutdown, refuses new calls (<c>ShuttingDown</c>, -32010) as soon as the host starts stopping and waits for the
/// calls already admitted, up to the host's shutdown timeout. Registered after the audit publisher, so the host
/// stops it first: every in-flight call has recorded its audit event before the audit buffer is flushed.
/// </summary>
public sealed partial class PipelineDrain(
    InFlightCalls inFlight,
    IHostApplicationLifetime lifetime,
    ILogger<PipelineDrain> logger) : IHostedService
{
    private CancellationTokenRegistration _registration;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _registration = lifetime.ApplicationStopping.Register(inFlight.StopAccepting);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _registration.DisposeAsync();
        inFlight.StopAccepting();
        var pending = inFlight.Count;
        try
        {
            await inFlight.Drained.WaitAsync(cancellationToken);
            LogDrained(logger, pending);
        }
        catch (OperationCanceledException)
        {
            LogAbandoned(logger, inFlight.Count);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Pipeline drained ({Count} calls were in flight at stop)")]
    private static partial void LogDrained(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Shutdown timeout reached with {Count} calls still in flight")]
    private static partial void LogAbandoned(ILogger logger, int count);
}
