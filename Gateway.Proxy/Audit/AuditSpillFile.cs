using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.Contracts.Messages;

namespace Gateway.Proxy.Audit;

/// <summary>
/// Append-only NDJSON segments holding audit events the bus could not take yet. Appends go to the newest open
/// segment; <see cref="SealSegments"/> closes it so a replay reads only complete files while new events start the
/// next one. Segment names sort by creation time, so replaying them by name keeps the order they were written in.
/// Segments left by an earlier run in the same folder are picked up and replayed too, and so are the
/// <see cref="AuditJournal"/> segments of a process that died: they become spill segments.
/// </summary>
public sealed class AuditSpillFile : IDisposable
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    private const string Pattern = "audit-*.ndjson";
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    private readonly Lock _gate = new();
    private readonly string _directory;
    private readonly string _instance;
    private readonly TimeProvider _time;
    private readonly FileStream _ownership;
    private FileStream? _open;
    private int _sequence;
    private readonly long _limitBytes;
    private int _pendingSegments;
    private long _pendingBytes;

    /// <param name="limitBytes">
    /// The bound on what waits on disk (<see cref="AuditOptions.SpillLimitBytes"/>); past it <see cref="IsFull"/> holds
    /// and the proxy refuses calls instead of forwarding them. Appends still go through: a refusal is recorded too.
    /// </param>
    public AuditSpillFile(string directory, string instance, TimeProvider time, long limitBytes = long.MaxValue)
    {
        // One process owns a folder (an exclusive lock file), so a replay never deletes a segment another process is
        // still writing. A second process sharing the configured folder gets a sub-folder instead: first one that a
        // process which died left behind (a replica restarted beside another takes over what it left), else its own.
        var root = Directory.CreateDirectory(directory).FullName;
        FileStream? ownership = null;
        _directory = new[] { root }
            .Concat(Directory.EnumerateDirectories(root).Where(d => File.Exists(Path.Combine(d, ".owner"))).Order(StringComparer.Ordinal))
            .FirstOrDefault(candidate => TryOwn(candidate, out ownership))
            ?? Directory.CreateDirectory(Path.Combine(root, instance)).FullName;
        if (ownership is null && !TryOwn(_directory, out ownership))
        {
            throw new IOException($"Audit spill folder '{_directory}' is locked by another process.");
        }

        _ownership = ownership;
        foreach (var journal in Directory.GetFiles(_directory, AuditJournal.Prefix + "*.ndjson"))
        {
            File.Move(journal, Path.Combine(_directory, "audit-" + Path.GetFileName(journal)[AuditJournal.Prefix.Length..]));
        }

        _instance = instance;
        _time = time;
        _limitBytes = limitBytes;
        var segments = Directory.GetFiles(_directory, Pattern);
        _pendingSegments = segments.Length;
        _pendingBytes = segments.Sum(segment => new FileInfo(segment).Length);
    }

    public string DirectoryPath => _directory;

    /// <summary>Bytes of events waiting on disk.</summary>
    public long PendingBytes => Interlocked.Read(ref _pendingBytes);

    /// <summary>Whether what waits on disk has reached the bound: calls must not be forwarded until it drains.</summary>
    public bool IsFull => PendingBytes >= _limitBytes;

    /// <summary>Whether any event waits on disk (in a sealed segment or the open one).</summary>
    public bool HasPending
    {
        get
        {
            lock (_gate)
            {
                return _pendingSegments > 0;
            }
        }
    }

    public void Append(AuditEvent auditEvent)
    {
        lock (_gate)
        {
            WriteLine(auditEvent);
            _open!.Flush();
        }
    }

    public void Append(IEnumerable<AuditEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        lock (_gate)
        {
            foreach (var auditEvent in events)
            {
                WriteLine(auditEvent);
            }

            _open?.Flush();
        }
    }

    /// <summary>
    /// Runs <paramref name="drainOlder"/> (which appends events older than <paramref name="auditEvent"/>) and then
    /// appends <paramref name="auditEvent"/>, all under the file's lock so nothing else lands in between.
    /// </summary>
    public void AppendAfter(Action<AuditSpillFile> drainOlder, AuditEvent auditEvent)
    {
        ArgumentNullException.ThrowIfNull(drainOlder);
        lock (_gate)
        {
            drainOlder(this);
            Append(auditEvent);
        }
    }

    /// <summary>Closes the open segment and returns every segment on disk, oldest first.</summary>
    public IReadOnlyList<string> SealSegments()
    {
        lock (_gate)
        {
            CloseOpen();
            var segments = Directory.GetFiles(_directory, Pattern);
            Array.Sort(segments, StringComparer.Ordinal);
            return segments;
        }
    }

    /// <summary>Reads a sealed segment. A torn last line (the process died mid-write) is skipped.</summary>
    public static IEnumerable<AuditEvent> Read(string segment)
    {
        foreach (var line in File.ReadLines(segment, Encoding.UTF8))
        {
            AuditEvent? auditEvent = null;
            try
            {
                auditEvent = JsonSerializer.Deserialize<AuditEvent>(line, Json);
            }
            catch (JsonException)
            {
            }

            if (auditEvent is not null)
            {
                yield return auditEvent;
            }
        }
    }

    /// <summary>Deletes a segment whose events have all been delivered.</summary>
    public void Delete(string segment)
    {
        lock (_gate)
        {
            var length = File.Exists(segment) ? new FileInfo(segment).Length : 0;
            File.Delete(segment);
            _pendingSegments = Directory.GetFiles(_directory, Pattern).Length;
            Interlocked.Add(ref _pendingBytes, -length);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            CloseOpen();
            _ownership.Dispose();
        }
    }

    private static bool TryOwn(string directory, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out FileStream? ownership)
    {
        try
        {
            ownership = new FileStream(Path.Combine(directory, ".owner"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            return true;
        }
        catch (IOException)
        {
            ownership = null;
            return false;
        }
    }

    private void WriteLine(AuditEvent auditEvent)
    {
        if (_open is null)
        {
            // Time first so names sort by age across runs; the sequence orders segments opened within one tick.
            var name = string.Create(
                CultureInfo.InvariantCulture,
                $"audit-{_time.GetUtcNow():yyyyMMddHHmmssfffffff}-{++_sequence:D6}-{_instance}.ndjson");
            _open = new FileStream(Path.Combine(_directory, name), FileMode.Append, FileAccess.Write, FileShare.Read);
            _pendingSegments++;
        }

        var before = _open.Position;
        JsonSerializer.Serialize(_open, auditEvent, Json);
        _open.Write(NewLine);
        Interlocked.Add(ref _pendingBytes, _open.Position - before);
    }

    private void CloseOpen()
    {
        _open?.Dispose();
        _open = null;
    }
}
