using Gateway.AuditService.Storage;
using Gateway.Contracts.Messages;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Gateway.AuditService.Ingestion;

/// <summary>
/// Takes batches of audit events (single or already batched by a proxy) and of the monitor's transitions off the
/// audit queue and commits each batch in one transaction. MassTransit acknowledges the messages only when
/// <c>Consume</c> returns, that is after the commit, so a crash before it redelivers the batch and the store's
/// idempotency on event id absorbs the repeat. Invalid events are moved to the error queue with a reason and never
/// hold back the valid ones.
/// </summary>
internal sealed partial class AuditIngestConsumer(
    IAuditStore store,
    IOptions<AuditIngestionOptions> options,
    TimeProvider time,
    ILogger<AuditIngestConsumer> logger)
    : IConsumer<Batch<AuditEvent>>,
      IConsumer<Batch<AuditEventBatch>>,
      IConsumer<Batch<CircuitStateChanged>>,
      IConsumer<Batch<BackendHealthChanged>>
{
    /// <summary>Header carrying why a message was rejected (MassTransit's own fault header name).</summary>
    public const string ReasonHeader = "MT-Fault-Message";

    public async Task Consume(ConsumeContext<Batch<AuditEvent>> context)
    {
        var accepted = new List<AuditEvent>(context.Message.Length);
        foreach (var item in context.Message)
        {
            await AdmitAsync(item, item.Message, accepted);
        }

        await CommitAsync(accepted, context.CancellationToken);
    }

    public async Task Consume(ConsumeContext<Batch<AuditEventBatch>> context)
    {
        var accepted = new List<AuditEvent>();
        foreach (var item in context.Message)
        {
            if (item.Message.Events is not { } events)
            {
                await RejectAsync(item, item.Message, "Events is missing");
                continue;
            }

            if (events.Any(e => e is null))
            {
                // Nothing to send on its own for a null entry: the whole message goes, its valid events are still stored.
                await RejectAsync(item, item.Message, "Events contains a null event");
            }

            foreach (var e in events.Where(e => e is not null))
            {
                await AdmitAsync(item, e, accepted);
            }
        }

        await CommitAsync(accepted, context.CancellationToken);
    }

    public async Task Consume(ConsumeContext<Batch<CircuitStateChanged>> context)
    {
        var accepted = new List<AuditEvent>(context.Message.Length);
        foreach (var item in context.Message)
        {
            if (string.IsNullOrWhiteSpace(item.Message.Backend) || string.IsNullOrWhiteSpace(item.Message.Actor))
            {
                await RejectAsync(item, item.Message, "Backend or Actor is missing");
                continue;
            }

            await AdmitAsync(item, TransitionRecords.From(item.Message), accepted);
        }

        await CommitAsync(accepted, context.CancellationToken);
    }

    public async Task Consume(ConsumeContext<Batch<BackendHealthChanged>> context)
    {
        var accepted = new List<AuditEvent>(context.Message.Length);
        foreach (var item in context.Message)
        {
            if (string.IsNullOrWhiteSpace(item.Message.Backend))
            {
                await RejectAsync(item, item.Message, "Backend is missing");
                continue;
            }

            await AdmitAsync(item, TransitionRecords.From(item.Message), accepted);
        }

        await CommitAsync(accepted, context.CancellationToken);
    }

    private async Task AdmitAsync(ConsumeContext item, AuditEvent e, List<AuditEvent> accepted)
    {
        if (AuditEventValidator.Validate(e) is { } reason)
        {
            await RejectAsync(item, e, reason);
            return;
        }

        accepted.Add(e);
    }

    /// <summary>
    /// Sends the offending message to <c>{queue}_error</c> with the reason in <see cref="ReasonHeader"/>, as
    /// MassTransit does for a faulted message, so operators inspect and replay rejects with the usual tools.
    /// </summary>
    private async Task RejectAsync<T>(ConsumeContext item, T message, string reason)
        where T : class
    {
        LogRejected(logger, item.MessageId, reason);
        var errorQueue = await item.GetSendEndpoint(new Uri($"queue:{options.Value.QueueName}_error"));
        await errorQueue.Send(message, send =>
        {
            send.Headers.Set(ReasonHeader, reason);
            send.Headers.Set("MT-Reason", "audit-validation");
            send.Headers.Set("MT-Fault-InputAddress", item.ReceiveContext.InputAddress?.ToString());
            send.Headers.Set("MT-Fault-MessageId", item.MessageId?.ToString());
        }, CancellationToken.None);
    }

    /// <summary>
    /// Commits the batch, retrying while the database is away: the messages stay unacknowledged (so nothing is lost)
    /// and are never moved to the error queue for an outage. A write in progress is not cancelled at shutdown, so the
    /// batch in hand is finished; only the wait between attempts is.
    /// </summary>
    private async Task CommitAsync(List<AuditEvent> accepted, CancellationToken cancellationToken)
    {
        if (accepted.Count == 0)
        {
            return;
        }

        var batch = accepted.DistinctBy(e => e.EventId).ToArray();
        var backoff = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                await store.AppendAsync(batch, CancellationToken.None);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogCommitFailed(logger, ex, batch.Length, backoff);
                await Task.Delay(backoff, time, cancellationToken);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, options.Value.CommitRetryMaxInterval.Ticks));
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "Audit message {MessageId} rejected to the error queue: {Reason}")]
    private static partial void LogRejected(ILogger logger, Guid? messageId, string reason);

    [LoggerMessage(LogLevel.Warning, "Committing {Count} audit events failed; retrying in {Backoff}.")]
    private static partial void LogCommitFailed(ILogger logger, Exception exception, int count, TimeSpan backoff);
}
