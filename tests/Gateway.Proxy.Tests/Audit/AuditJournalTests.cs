using Gateway.Proxy.Audit;

namespace Gateway.Proxy.Tests.Audit;

/// <summary>The write-ahead journal: what a process that dies with events in memory leaves, and who replays it.</summary>
public sealed class AuditJournalTests : IDisposable
{
    private readonly string _directory = AuditTestEvents.TempDirectory();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void EventsQueuedButNeverSettledAreReplayedInOrderByTheNextOwnerOfTheFolder()
    {
        var spill = new AuditSpillFile(_directory, "dead", TimeProvider.System);
        var journal = new AuditJournal(spill, "dead", TimeProvider.System);
        var buffer = new AuditBuffer(16, spill, journal);
        for (var i = 0; i < 5; i++)
        {
            buffer.Write(AuditTestEvents.Numbered(i));
        }

        // The process dies: its queue is gone, its folder lock released, its journal left as it was.
        journal.Dispose();
        spill.Dispose();
        using var next = new AuditSpillFile(_directory, "next", TimeProvider.System);

        Assert.Equal(_directory, next.DirectoryPath);
        Assert.True(next.HasPending);
        Assert.Equal(Enumerable.Range(0, 5), next.SealSegments().SelectMany(AuditSpillFile.Read).Select(AuditTestEvents.Number));
    }

    [Fact]
    public void EventsMovedToTheSpillFileAreSettledAndTheirJournalSegmentsDeleted()
    {
        using var spill = new AuditSpillFile(_directory, "test", TimeProvider.System);
        var journal = new AuditJournal(spill, "test", TimeProvider.System);
        var buffer = new AuditBuffer(16, spill, journal);
        // Beyond the buffer's capacity and over several journal segments: events overflow to the spill file.
        for (var i = 0; i < 2500; i++)
        {
            buffer.Write(AuditTestEvents.Numbered(i));
        }

        buffer.MoveQueuedTo(spill);
        journal.Dispose();

        Assert.Empty(Directory.GetFiles(spill.DirectoryPath, AuditJournal.Prefix + "*"));
        Assert.Equal(Enumerable.Range(0, 2500), spill.SealSegments().SelectMany(AuditSpillFile.Read).Select(AuditTestEvents.Number));
    }

    [Fact]
    public void AProcessStartedBesideARunningOneTakesOverTheSubFolderADeadOneLeft()
    {
        using var running = new AuditSpillFile(_directory, "running", TimeProvider.System);
        var dead = new AuditSpillFile(_directory, "dead", TimeProvider.System);
        dead.Append(AuditTestEvents.Numbered(7));
        var left = dead.DirectoryPath;
        dead.Dispose();

        using var restarted = new AuditSpillFile(_directory, "restarted", TimeProvider.System);

        Assert.Equal(left, restarted.DirectoryPath);
        Assert.Equal([7], restarted.SealSegments().SelectMany(AuditSpillFile.Read).Select(AuditTestEvents.Number));
    }
}
