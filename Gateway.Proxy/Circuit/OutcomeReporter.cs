using Gateway.Contracts.Messages;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Gateway.Proxy.Circuit;

/// <summary>
/// Sends this replica's per-backend successes and failures to the monitor as one
/// <see cref="BackendOutcomeBatch"/> every <see cref="CircuitSyncOptions.OutcomeReportInterval"/>, only when there is
/// something to report. Calls only bump counters on their breaker, so reporting never blocks a call; a batch that
/// cannot be published is dropped (the next one carries fresh outcomes, and local breakers still protect).
/// </summary>
public sealed partial class OutcomeReporter(
    CircuitBreakerRegistry registry,
    IServiceProvider services,
    IOptions<CircuitSyncOptions> options,
    TimeProvider timeProvider,
    ILogger<OutcomeReporter> logger) : BackgroundService
{
    private DateTimeOffset _windowStart;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (services.GetService<IBus>() is not { } publisher)
        {
            return;
        }

        _windowStart = timeProvider.GetUtcNow();
        using var timer = new PeriodicTimer(options.Value.OutcomeReportInterval, timeProvider);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (TakeBatch() is { } batch)
            {
                await PublishAsync(publisher, batch, stoppingToken);
            }
        }
    }

    /// <summary>Outcomes since the previous batch, or null when no call completed.</summary>
    internal BackendOutcomeBatch? TakeBatch()
    {
        var now = timeProvider.GetUtcNow();
        List<BackendOutcomeReport>? reports = null;
        foreach (var circuit in registry.Circuits)
        {
            if (circuit.TakeOutcomes() is { } outcomes)
            {
                (reports ??= []).Add(new BackendOutcomeReport(
                    options.Value.InstanceId, circuit.Name, outcomes.Successes, outcomes.Failures, outcomes.LastError, _windowStart, now));
            }
        }

        _windowStart = now;
        return reports is null ? null : new BackendOutcomeBatch(options.Value.InstanceId, reports);
    }

    private async Task PublishAsync(IPublishEndpoint publisher, BackendOutcomeBatch batch, CancellationToken stoppingToken)
    {
        // Bounded so a broker outage cannot pile batches up behind a hung publish.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(options.Value.OutcomeReportInterval * 4);
        try
        {
            await publisher.Publish(batch, timeout.Token);
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            LogDropped(batch.Reports.Count, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Outcome batch for {Count} backends dropped: {Message}")]
    private partial void LogDropped(int count, string message);
}
