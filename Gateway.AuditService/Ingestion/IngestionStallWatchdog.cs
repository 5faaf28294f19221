using MassTransit;
using Microsoft.Extensions.Options;

namespace Gateway.AuditService.Ingestion;

/// <summary>
/// Stops the service with exit code <see cref="StalledExitCode"/> when the bus has not been healthy for
/// <see cref="AuditIngestionOptions.StallTimeout"/>, so that the orchestrator (the AppHost, Container Apps, Kubernetes)
/// starts a fresh process. Why: after some broker restarts MassTransit 8.4.0 kept opening channels on the closed
/// connection and the receive endpoint never recovered on its own, while a new process connects at once (8.5.12 is not
/// re-measured yet). Nothing is
/// lost: messages are acknowledged only after their batch is committed, so what was in hand is redelivered.
/// </summary>
internal sealed partial class IngestionStallWatchdog(
    IBusControl bus,
    IHostApplicationLifetime lifetime,
    IOptions<AuditIngestionOptions> options,
    TimeProvider time,
    ILogger<IngestionStallWatchdog> logger) : BackgroundService
{
    /// <summary>EX_TEMPFAIL from sysexits.h: a temporary failure, try again.</summary>
    public const int StalledExitCode = 75;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var detector = new BusStallDetector(settings.StallTimeout, time.GetUtcNow());
        using var timer = new PeriodicTimer(settings.StallCheckInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var health = bus.CheckHealth();
            if (!detector.Observe(health.Status == BusHealthStatus.Healthy, time.GetUtcNow()))
            {
                continue;
            }

            LogStalled(logger, settings.StallTimeout.TotalSeconds, health.Status, health.Description);
            Environment.ExitCode = StalledExitCode;
            lifetime.StopApplication();
            return;
        }
    }

    [LoggerMessage(Level = LogLevel.Critical,
        Message = "The bus has not been healthy for {Seconds} s (now {Status}: {Description}); stopping so that a fresh process reconnects")]
    private static partial void LogStalled(ILogger logger, double seconds, BusHealthStatus status, string description);
}
