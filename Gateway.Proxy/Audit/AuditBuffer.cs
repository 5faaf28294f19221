using System.Diagnostics;
using System.Threading.Channels;
using Gateway.Contracts.Messages;

namespace Gateway.Proxy.Audit;

/// <summary>
/// The bounded in-memory queue between calls and the publisher. Writing never waits: when the queue is full (the
/// bus is down and events arrive faster than they reach the disk) or closed (after the shutdown flush), the event
/// goes to the spill file, behind whatever the queue still held, so the on-disk order stays the recorded order.
/// Each queued event keeps the span of the call that recorded it (<see cref="QueuedAuditEvent"/>); the spill file keeps
/// bare events, since an event replayed after a broker outage has no live trace left to continue.
/// </summary>
public sealed class AuditBuffer
{
    private readonly Channel<QueuedAuditEvent> _channel;
    private readonly AuditSpillFile _spill;
    private readonly AuditJournal? _journal;

    /// <param name="journal">Where each event is written before it is queued; none, and a killed process loses what it held.</param>
    public AuditBuffer(int capacity, AuditSpillFile spill, AuditJournal? journal = null)
    {
        _spill = spill;
        _journal = journal;
        _channel = Channel.CreateBounded<QueuedAuditEvent>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
            SingleWriter = false,
        });
    }

    public ChannelReader<QueuedAuditEvent> Reader => _channel.Reader;

    public int Count => _channel.Reader.Count;

    /// <summary>Whether the spill folder has reached its bound (see <see cref="AuditSpillFile.IsFull"/>).</summary>
    public bool IsSpillFull => _spill.IsFull;

    /// <summary>Queues <paramref name="auditEvent"/> with the current span, which is the recording call's.</summary>
    public void Write(AuditEvent auditEvent)
    {
        var caller = Activity.Current?.Context ?? default;
        if (_journal is null)
        {
            if (!_channel.Writer.TryWrite(new QueuedAuditEvent(auditEvent, caller)))
            {
                _spill.AppendAfter(MoveQueuedTo, auditEvent);
            }

            return;
        }

        long number;
        bool queued;
        lock (_journal.Gate)
        {
            number = _journal.Append(auditEvent);
            queued = _channel.Writer.TryWrite(new QueuedAuditEvent(auditEvent, caller, number));
        }

        if (!queued)
        {
            _spill.AppendAfter(MoveQueuedTo, auditEvent);
            _journal.Settle(number);
        }
    }

    /// <summary>
    /// <paramref name="events"/> have left memory for good (confirmed by the broker, or in the spill file): their
    /// write-ahead copies may go.
    /// </summary>
    public void Settled(IReadOnlyList<QueuedAuditEvent> events) => _journal?.Settle(events);

    /// <summary>Stops queueing; later events go straight to the spill file.</summary>
    public void Close() => _channel.Writer.TryComplete();

    /// <summary>Appends every queued event to <paramref name="spill"/>, oldest first.</summary>
    public void MoveQueuedTo(AuditSpillFile spill)
    {
        ArgumentNullException.ThrowIfNull(spill);
        var moved = new List<QueuedAuditEvent>();
        while (_channel.Reader.TryRead(out var queued))
        {
            moved.Add(queued);
        }

        if (moved.Count > 0)
        {
            spill.Append(moved.Select(queued => queued.Event));
            Settled(moved);
        }
    }
}
