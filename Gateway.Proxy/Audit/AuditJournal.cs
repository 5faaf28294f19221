using System.Globalization;
using System.Text.Json;
using Gateway.Contracts.Messages;

namespace Gateway.Proxy.Audit;

/// <summary>
/// A write-ahead copy of every audit event from the moment a call records it (before the call is answered) until it
/// has left memory for good: confirmed by the broker, or appended to the <see cref="AuditSpillFile"/>. A proxy killed
/// outright (<c>kill -9</c>, the OOM killer) loses its in-memory queue and the batch it was publishing; their events
/// are still here, and the next process to own the folder replays them with the spill segments (the audit store
/// deduplicates on <see cref="AuditEvent.EventId"/>, so events that had reached it are not stored twice). Each append
/// is written to the operating system before it returns: a process kill loses nothing, a machine crash may lose the
/// last writes, as it may for the spill file.
/// </summary>
/// <remarks>
/// Segments of <see cref="SegmentEvents"/> events; a closed segment whose every event is settled is deleted. Events are
/// numbered in the order they are written, which is the order they are queued (<see cref="AuditBuffer.Write"/> does
/// both under <see cref="Gate"/>), and settled by that number, in any order.
/// </remarks>
public sealed class AuditJournal : IDisposable
{
    /// <summary>Journal segments are named like spill segments with this prefix instead of <c>audit-</c>.</summary>
    public const string Prefix = "journal-";

    /// <summary>
    /// Small, so that what a restarted replica replays (its open segment, mostly events already delivered) stays far
    /// below any spill bound; a segment costs one file creation and deletion.
    /// </summary>
    private const int SegmentEvents = 128;
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    private readonly string _directory;
    private readonly string _instance;
    private readonly TimeProvider _time;
    private readonly List<Segment> _segments = [];
    private FileStream? _open;
    private long _next = 1;
    private int _sequence;

    public AuditJournal(AuditSpillFile spill, string instance, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(spill);
        _directory = spill.DirectoryPath;
        _instance = instance;
        _time = time;
    }

    /// <summary>Held while an event is journaled and queued, so both see events in the same order.</summary>
    public Lock Gate { get; } = new();

    /// <summary>Writes <paramref name="auditEvent"/> and returns its number (to settle it with). Call under <see cref="Gate"/>.</summary>
    public long Append(AuditEvent auditEvent)
    {
        if (_open is null || _segments[^1].Written == SegmentEvents)
        {
            Open();
        }

        JsonSerializer.Serialize(_open!, auditEvent, AuditSpillFile.Json);
        _open!.Write(NewLine);
        _open.Flush();
        var segment = _segments[^1];
        segment.Written++;
        segment.Pending++;
        return _next++;
    }

    /// <summary>
    /// The event numbered <paramref name="number"/> is on the bus or in the spill file. Zero (an event that was never
    /// journaled, such as one replayed from the disk) is ignored.
    /// </summary>
    public void Settle(long number)
    {
        lock (Gate)
        {
            SettleOne(number);
            DeleteSettled();
        }
    }

    /// <summary>Settles every event of <paramref name="events"/> (see <see cref="Settle(long)"/>).</summary>
    public void Settle(IReadOnlyList<QueuedAuditEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        lock (Gate)
        {
            for (var i = 0; i < events.Count; i++)
            {
                SettleOne(events[i].JournalNumber);
            }

            DeleteSettled();
        }
    }

    /// <summary>Closes the open segment; every segment whose events are all settled is deleted (a clean stop leaves none).</summary>
    public void Dispose()
    {
        lock (Gate)
        {
            _open?.Dispose();
            _open = null;
            foreach (var segment in _segments.Where(s => s.Pending == 0))
            {
                File.Delete(segment.Path);
            }
        }
    }

    private void SettleOne(long number)
    {
        if (number <= 0)
        {
            return;
        }

        foreach (var segment in _segments)
        {
            if (number < segment.First + segment.Written)
            {
                segment.Pending--;
                return;
            }
        }
    }

    /// <summary>Deletes the oldest segments while all their events are settled; never the open one, still appended to.</summary>
    private void DeleteSettled()
    {
        while (_segments.Count > 1 && _segments[0].Pending == 0)
        {
            File.Delete(_segments[0].Path);
            _segments.RemoveAt(0);
        }
    }

    private void Open()
    {
        _open?.Dispose();
        // The spill file's naming (time, then a sequence): adopted after a crash, a journal sorts among the spill
        // segments in the order its events were recorded.
        var path = Path.Combine(_directory, string.Create(
            CultureInfo.InvariantCulture,
            $"{Prefix}{_time.GetUtcNow():yyyyMMddHHmmssfffffff}-{++_sequence:D6}-{_instance}.ndjson"));
        _open = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        _segments.Add(new Segment(path, _next));
    }

    private sealed class Segment(string path, long first)
    {
        public string Path { get; } = path;

        public long First { get; } = first;

        public int Written { get; set; }

        public int Pending { get; set; }
    }
}
