using System.Diagnostics;
using Gateway.Contracts.Messages;
using Microsoft.Extensions.Options;

namespace Gateway.Proxy.Audit;

/// <summary>
/// Moves audit events from the <see cref="AuditBuffer"/> to the bus in <see cref="AuditEventBatch"/>es (up to
/// <see cref="AuditOptions.BatchSize"/> events or <see cref="AuditOptions.BatchDelay"/>, whichever comes first).
/// When a publish fails or times out, the batch goes to the <see cref="AuditSpillFile"/>; from then on, to keep the
/// order, new events follow it onto the disk until every segment has been replayed on the bus. Replay is
/// at-least-once: a segment interrupted halfway is sent again whole, and the audit store deduplicates on
/// <see cref="AuditEvent.EventId"/>. Without a bus (none configured), events stay on disk for a later run.
/// On stop, the queue is flushed to the bus, or to the disk when the bus cannot take it.
/// Each publish runs in an <see cref="AuditPublishActivity"/>, so a batch continues the trace of the calls it carries.
/// </summary>
public sealed partial class AuditPublisher(
    AuditBuffer buffer,
    AuditSpillFile spill,
    IOptions<AuditOptions> options,
    TimeProvider time,
    ILogger<AuditPublisher> logger,
    IAuditTransport? transport = null) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _stopLock = new();
    private Task? _stopped;
    private Task _loop = Task.CompletedTask;
    private DateTimeOffset _nextReplayAt;
    private long _published;

    /// <summary>Events the broker has confirmed since start.</summary>
    public long Published => Interlocked.Read(ref _published);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Flushes once, however many times the host asks: a host can stop its services twice, the second time
    /// concurrently (<c>WebApplicationFactory</c> stops the host while the application's own <c>Run</c> stops it as
    /// well, then disposes it), and every caller waits for the same flush, so none returns, and lets the host be
    /// disposed, before the events are on the bus or the disk.
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_stopLock)
        {
            return _stopped ??= StopOnceAsync(cancellationToken);
        }
    }

    private async Task StopOnceAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        // The loop never abandons a batch it holds: it publishes it (bounded by PublishTimeout) or spills it.
        await _loop;
        buffer.Close();
        await FlushAsync(cancellationToken);
    }

    public void Dispose() => _stopping.Dispose();

    private async Task RunAsync(CancellationToken stopping)
    {
        var batch = new List<QueuedAuditEvent>(options.Value.BatchSize);
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (spill.HasPending)
                {
                    await DrainSpillAsync(stopping);
                }
                else if (await FillBatchAsync(batch, stopping))
                {
                    await PublishOrSpillAsync(batch);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                // A full disk or a bug must not end the loop: events keep queueing and overflow to the disk path.
                LogLoopFailed(logger, ex);
                await Task.Delay(options.Value.RetryInterval, time, CancellationToken.None);
            }
        }

        if (batch.Count > 0)
        {
            spill.Append(EventsOf(batch));
            buffer.Settled(batch);
        }
    }

    /// <summary>Spill mode: replay the disk when the bus may be back, otherwise move new events behind the spilled ones.</summary>
    private async Task DrainSpillAsync(CancellationToken stopping)
    {
        if (transport is not null && time.GetUtcNow() >= _nextReplayAt)
        {
            buffer.MoveQueuedTo(spill);
            if (await TryReplayAsync(stopping))
            {
                LogReplayed(logger, spill.DirectoryPath);
                return;
            }

            _nextReplayAt = time.GetUtcNow() + options.Value.RetryInterval;
        }

        buffer.MoveQueuedTo(spill);
        if (await WaitToReadAsync(options.Value.RetryInterval, stopping))
        {
            // One disk append per delay rather than one per event.
            await LetEventsGatherAsync(stopping);
        }
    }

    /// <summary>Publishes every sealed segment in order; false at the first batch the bus does not take.</summary>
    private async Task<bool> TryReplayAsync(CancellationToken stopping)
    {
        var batch = new List<QueuedAuditEvent>(options.Value.BatchSize);
        foreach (var segment in spill.SealSegments())
        {
            foreach (var auditEvent in AuditSpillFile.Read(segment))
            {
                // The call that recorded it is long over: a replayed batch starts a trace of its own.
                batch.Add(new QueuedAuditEvent(auditEvent, default));
                if (batch.Count == options.Value.BatchSize && !await TryPublishAsync(batch))
                {
                    return false;
                }
            }

            if (batch.Count > 0 && !await TryPublishAsync(batch))
            {
                return false;
            }

            spill.Delete(segment);
            if (stopping.IsCancellationRequested)
            {
                return false;
            }
        }

        return !spill.HasPending;
    }

    /// <summary>
    /// Waits for one event, then lets the batch fill for <see cref="AuditOptions.BatchDelay"/> unless it is already
    /// full. It sleeps through the delay rather than waking for each event: a wake-up per event was a thread-pool
    /// hand-off (and a timer) per proxied call.
    /// </summary>
    private async Task<bool> FillBatchAsync(List<QueuedAuditEvent> batch, CancellationToken stopping)
    {
        if (!await buffer.Reader.WaitToReadAsync(stopping))
        {
            return false;
        }

        Take(batch);
        if (batch.Count < options.Value.BatchSize)
        {
            await LetEventsGatherAsync(stopping);
            Take(batch);
        }

        return batch.Count > 0;
    }

    private void Take(List<QueuedAuditEvent> batch)
    {
        while (batch.Count < options.Value.BatchSize && buffer.Reader.TryRead(out var queued))
        {
            batch.Add(queued);
        }
    }

    /// <summary>Sleeps for <see cref="AuditOptions.BatchDelay"/>, or until stopping (then the caller flushes).</summary>
    private async Task LetEventsGatherAsync(CancellationToken stopping) =>
        await Task.Delay(options.Value.BatchDelay, time, stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

    /// <summary>Waits until an event is queued or <paramref name="delay"/> has passed; false once stopping.</summary>
    private async Task<bool> WaitToReadAsync(TimeSpan delay, CancellationToken stopping)
    {
        using var timeout = new CancellationTokenSource(delay, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, timeout.Token);
        try
        {
            return await buffer.Reader.WaitToReadAsync(linked.Token);
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task PublishOrSpillAsync(List<QueuedAuditEvent> batch)
    {
        if (!await TryPublishAsync(batch))
        {
            spill.Append(EventsOf(batch));
            buffer.Settled(batch);
            batch.Clear();
            _nextReplayAt = time.GetUtcNow() + options.Value.RetryInterval;
        }
    }

    /// <summary>Publishes and clears <paramref name="batch"/>; on failure leaves it intact and returns false.</summary>
    private async Task<bool> TryPublishAsync(List<QueuedAuditEvent> batch)
    {
        if (transport is null)
        {
            return false;
        }

        using var timeout = new CancellationTokenSource(options.Value.PublishTimeout, time);
        // Current while the transport publishes, so the bus's send span is its child and carries the calls' trace.
        using var activity = AuditPublishActivity.Start(batch);
        try
        {
            await transport.PublishAsync(new AuditEventBatch(EventsOf(batch)), timeout.Token);
            Interlocked.Add(ref _published, batch.Count);
            buffer.Settled(batch);
            batch.Clear();
            return true;
        }
        catch (Exception ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            LogPublishFailed(logger, batch.Count, ex.Message);
            return false;
        }
    }

    private static AuditEvent[] EventsOf(List<QueuedAuditEvent> batch)
    {
        var events = new AuditEvent[batch.Count];
        for (var i = 0; i < events.Length; i++)
        {
            events[i] = batch[i].Event;
        }

        return events;
    }

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        var batch = new List<QueuedAuditEvent>(options.Value.BatchSize);
        var reader = buffer.Reader;
        while (true)
        {
            while (batch.Count < options.Value.BatchSize && reader.TryRead(out var queued))
            {
                batch.Add(queued);
            }

            if (batch.Count == 0)
            {
                break;
            }

            // In spill mode, or once the host's deadline has passed, the disk keeps the order and costs no wait.
            if (spill.HasPending || cancellationToken.IsCancellationRequested || !await TryPublishAsync(batch))
            {
                spill.Append(EventsOf(batch));
                buffer.Settled(batch);
                buffer.MoveQueuedTo(spill);
                batch.Clear();
                break;
            }
        }

        LogFlushed(logger, Published, spill.HasPending);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Audit batch of {Count} events not published; keeping it on disk: {Error}")]
    private static partial void LogPublishFailed(ILogger logger, int count, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Audit events spilled to {Directory} were delivered")]
    private static partial void LogReplayed(ILogger logger, string directory);

    [LoggerMessage(Level = LogLevel.Information, Message = "Audit buffer flushed: {Published} events published since start, events left on disk: {Pending}")]
    private static partial void LogFlushed(ILogger logger, long published, bool pending);

    [LoggerMessage(Level = LogLevel.Error, Message = "Audit publisher loop failed; retrying")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);
}
