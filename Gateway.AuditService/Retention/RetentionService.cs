using Gateway.AuditService.Storage;
using Microsoft.Extensions.Options;

namespace Gateway.AuditService.Retention;

/// <summary>
/// Deletes records older than <see cref="RetentionOptions.Days"/>, every <see cref="RetentionOptions.Interval"/>, in
/// batches of <see cref="RetentionOptions.BatchSize"/> with a pause between them so inserts are never starved.
/// Several replicas may run it at once: deleting an already deleted row is a no-op.
/// </summary>
internal sealed partial class RetentionService(
    IAuditStore store,
    IOptionsMonitor<RetentionOptions> options,
    TimeProvider time,
    ILogger<RetentionService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await PurgeAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The next round tries again; an unreachable database is reported by the health check.
                LogPurgeFailed(logger, ex);
            }

            await Task.Delay(options.CurrentValue.Interval, time, stoppingToken);
        }
    }

    /// <summary>Deletes every expired record, batch by batch. Returns how many were deleted.</summary>
    internal async Task<long> PurgeAsync(CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        if (settings.Days == 0)
        {
            return 0;
        }

        var cutoff = time.GetUtcNow() - TimeSpan.FromDays(settings.Days);
        long total = 0;
        while (true)
        {
            var deleted = await store.DeleteOlderThanAsync(cutoff, settings.BatchSize, cancellationToken);
            total += deleted;
            if (deleted < settings.BatchSize)
            {
                break;
            }

            if (settings.BatchPause > TimeSpan.Zero)
            {
                await Task.Delay(settings.BatchPause, time, cancellationToken);
            }
        }

        if (total > 0)
        {
            LogPurged(logger, total, cutoff);
        }

        return total;
    }

    [LoggerMessage(LogLevel.Information, "Retention deleted {Count} audit records older than {Cutoff}.")]
    private static partial void LogPurged(ILogger logger, long count, DateTimeOffset cutoff);

    [LoggerMessage(LogLevel.Warning, "Retention round failed.")]
    private static partial void LogPurgeFailed(ILogger logger, Exception exception);
}
