using System.Diagnostics;
using Gateway.AuditService.Storage;
using Gateway.Contracts.Messages;
using MassTransit;
using Microsoft.Extensions.Options;

namespace Gateway.AuditService.Ingestion;

/// <summary>
/// Takes batches of audit events (single or already batched by a proxy) and of the monitor's transitions off the
/// audit queue and commits each batch in one transaction. MassTransit acknowledges the messages only when
/// <c>Consume</c> returns, that is after the commit, so a crash before it redelivers the batch and the store's
/// idempotency on event id absorbs the repeat. Invalid events, and messages whose events the database refuses, are
/// moved to the error queue with a reason and never hold back the valid ones.
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

    /// <summary><c>MT-Reason</c> of a message rejected because an event in it is invalid.</summary>
    public const string ValidationReason = "audit-validation";

    /// <summary><c>MT-Reason</c> of a message rejected because the database refused to store its events.</summary>
    public const string CommitReason = "audit-commit";

    public async Task Consume(ConsumeContext<Batch<AuditEvent>> context)
    {
        var admitted = new List<Admitted>(context.Message.Length);
        foreach (var item in context.Message)
        {
            await AdmitAsync(admitted, item, item.Message, [item.Message]);
        }

        await CommitAsync(admitted, context.CancellationToken);
    }

    public async Task Consume(ConsumeContext<Batch<AuditEventBatch>> context)
    {
        var admitted = new List<Admitted>(context.Message.Length);
        foreach (var item in context.Message)
        {
            if (item.Message.Events is not { } events)
            {
                await RejectAsync(item, item.Message, "Events is missing", ValidationReason);
                continue;
            }

            if (events.Any(e => e is null))
            {
                // Nothing to send on its own for a null entry: the whole message goes, its valid events are still stored.
                await RejectAsync(item, item.Message, "Events contains a null event", ValidationReason);
            }

            await AdmitAsync(admitted, item, item.Message, events.Where(e => e is not null));
        }

        await CommitAsync(admitted, context.CancellationToken);
    }

    public async Task Consume(ConsumeContext<Batch<CircuitStateChanged>> context)
    {
        var admitted = new List<Admitted>(context.Message.Length);
        foreach (var item in context.Message)
        {
            if (string.IsNullOrWhiteSpace(item.Message.Backend) || string.IsNullOrWhiteSpace(item.Message.Actor))
            {
                await RejectAsync(item, item.Message, "Backend or Actor is missing", ValidationReason);
                continue;
            }

            await AdmitAsync(admitted, item, item.Message, [TransitionRecords.From(item.Message)]);
        }

        await CommitAsync(admitted, context.CancellationToken);
    }

    public async Task Consume(ConsumeContext<Batch<BackendHealthChanged>> context)
    {
        var admitted = new List<Admitted>(context.Message.Length);
        foreach (var item in context.Message)
        {
            if (string.IsNullOrWhiteSpace(item.Message.Backend))
            {
                await RejectAsync(item, item.Message, "Backend is missing", ValidationReason);
                continue;
            }

            await AdmitAsync(admitted, item, item.Message, [TransitionRecords.From(item.Message)]);
        }

        await CommitAsync(admitted, context.CancellationToken);
    }

    /// <summary>The valid events of one message, kept with it so a commit the database refuses can be pinned on it.</summary>
    private sealed record Admitted(ConsumeContext Item, object Message, List<AuditEvent> Events);

    /// <summary>Rejects each invalid event of <paramref name="message"/> on its own and keeps the valid ones.</summary>
    private async Task AdmitAsync(List<Admitted> admitted, ConsumeContext item, object message, IEnumerable<AuditEvent> events)
    {
        var valid = new List<AuditEvent>();
        foreach (var e in events)
        {
            if (AuditEventValidator.Validate(e) is { } reason)
            {
                await RejectAsync(item, e, reason, ValidationReason);
            }
            else
            {
                valid.Add(e);
            }
        }

        if (valid.Count > 0)
        {
            admitted.Add(new Admitted(item, message, valid));
        }
    }

    /// <summary>
    /// Sends the offending message to <c>{queue}_error</c> with the reason in <see cref="ReasonHeader"/>, as
    /// MassTransit does for a faulted message, so operators inspect and replay rejects with the usual tools. The send
    /// is bounded by <see cref="AuditIngestionOptions.ErrorQueueSendTimeout"/> but not by shutdown, so the batch in
    /// hand still finishes: a send that times out (broker gone) fails the batch, whose messages are then redelivered
    /// rather than acknowledged without their reject.
    /// </summary>
    private async Task RejectAsync<T>(ConsumeContext item, T message, string reason, string kind)
        where T : class
    {
        LogRejected(logger, item.MessageId, reason);
        using var timeout = new CancellationTokenSource(options.Value.ErrorQueueSendTimeout, time);
        var errorQueue = await item.GetSendEndpoint(new Uri($"queue:{options.Value.QueueName}_error"));
        await errorQueue.Send(message, send =>
        {
            send.Headers.Set(ReasonHeader, reason);
            send.Headers.Set("MT-Reason", kind);
            send.Headers.Set("MT-Fault-InputAddress", item.ReceiveContext.InputAddress?.ToString());
            send.Headers.Set("MT-Fault-MessageId", item.MessageId?.ToString());
        }, timeout.Token);
    }

    /// <summary>
    /// Commits the batch in one transaction. A transient failure (the database is away, busy or locked) is retried with
    /// backoff: the messages stay unacknowledged, so nothing is lost and nothing is moved to the error queue for an
    /// outage. A permanent failure (the database refuses some row) is pinned down by committing each message on its own,
    /// then each event of a refused proxy batch on its own; what is still refused goes to the error queue with the
    /// database's reason, and the rest is stored. A write in progress is not cancelled at shutdown, so the batch in hand
    /// is finished; only the wait between attempts is.
    /// </summary>
    private async Task CommitAsync(List<Admitted> admitted, CancellationToken cancellationToken)
    {
        if (admitted.Count == 0)
        {
            return;
        }

        var failure = await TryCommitAsync(admitted.SelectMany(a => a.Events), cancellationToken);
        if (failure is null)
        {
            return;
        }

        if (admitted.Count > 1)
        {
            LogSplitting(logger, failure, admitted.Count);
        }

        foreach (var message in admitted)
        {
            var refused = admitted.Count == 1 ? failure : await TryCommitAsync(message.Events, cancellationToken);
            if (refused is null)
            {
                continue;
            }

            if (message.Message is not AuditEventBatch)
            {
                await RejectAsync(message.Item, message.Message, Refusal(refused), CommitReason);
                continue;
            }

            // A proxy batch: only the events the database refuses go, as validation rejects do.
            foreach (var e in message.Events)
            {
                var eventRefused = message.Events.Count == 1 ? refused : await TryCommitAsync([e], cancellationToken);
                if (eventRefused is not null)
                {
                    await RejectAsync(message.Item, e, Refusal(eventRefused), CommitReason);
                }
            }
        }
    }

    private static string Refusal(Exception exception) => $"The audit database refused the event: {exception.Message}";

    /// <summary>Commits <paramref name="events"/>, retrying transient failures; returns the permanent failure, if any.</summary>
    private async Task<Exception?> TryCommitAsync(IEnumerable<AuditEvent> events, CancellationToken cancellationToken)
    {
        var batch = events.DistinctBy(e => e.EventId).ToArray();
        var backoff = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                await AppendTracedAsync(batch);
                return null;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                if (!store.IsTransient(ex))
                {
                    return ex;
                }

                LogCommitFailed(logger, ex, batch.Length, backoff);
                await Task.Delay(backoff, time, cancellationToken);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, options.Value.CommitRetryMaxInterval.Ticks));
            }
        }
    }

    /// <summary>One write attempt, in its own span under the consume, so a reader of the trace sees the write.</summary>
    private async Task AppendTracedAsync(AuditEvent[] batch)
    {
        using var activity = AuditStoreActivity.Start(batch.Length, store.Engine);
        try
        {
            await store.AppendAsync(batch, CancellationToken.None);
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            throw;
        }
    }

    [LoggerMessage(LogLevel.Warning, "Audit message {MessageId} rejected to the error queue: {Reason}")]
    private static partial void LogRejected(ILogger logger, Guid? messageId, string reason);

    [LoggerMessage(LogLevel.Error, "The audit database refused a batch of {Messages} messages; committing them one by one to find the offending ones.")]
    private static partial void LogSplitting(ILogger logger, Exception exception, int messages);

    [LoggerMessage(LogLevel.Warning, "Committing {Count} audit events failed; retrying in {Backoff}.")]
    private static partial void LogCommitFailed(ILogger logger, Exception exception, int count, TimeSpan backoff);
}
