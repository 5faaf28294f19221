namespace Gateway.AuditService.Storage;

/// <summary>
/// Migrates the schema before anything else starts. Registered ahead of the bus, so no batch is consumed before the
/// tables exist; while the database is unreachable it retries instead of failing the service, since the events
/// wait safely in the queue.
/// </summary>
internal sealed partial class AuditStoreMigrator(IAuditStore store, TimeProvider time, ILogger<AuditStoreMigrator> logger) : IHostedService
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var backoff = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            try
            {
                await store.MigrateAsync(cancellationToken);
                LogMigrated(logger, store.Engine);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogMigrationFailed(logger, ex, store.Engine, backoff);
                await Task.Delay(backoff, time, cancellationToken);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(LogLevel.Information, "Audit store ({Engine}) schema is up to date.")]
    private static partial void LogMigrated(ILogger logger, string engine);

    [LoggerMessage(LogLevel.Warning, "Audit store ({Engine}) migration failed; retrying in {Backoff}.")]
    private static partial void LogMigrationFailed(ILogger logger, Exception exception, string engine, TimeSpan backoff);
}
