using Gateway.Proxy.Audit;

namespace Gateway.Proxy.Tests.Audit;

public sealed class AuditSpillFileTests : IDisposable
{
    private readonly string _directory = AuditTestEvents.TempDirectory();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void SealedSegmentsReadBackEveryEventInAppendOrder()
    {
        using var spill = new AuditSpillFile(_directory, "a", TimeProvider.System);
        spill.Append(Enumerable.Range(0, 3).Select(AuditTestEvents.Numbered));
        var first = spill.SealSegments();
        spill.Append(AuditTestEvents.Numbered(3));

        var all = spill.SealSegments().SelectMany(AuditSpillFile.Read).Select(AuditTestEvents.Number);

        Assert.Single(first);
        Assert.Equal([0, 1, 2, 3], all);
        Assert.True(spill.HasPending);
    }

    [Fact]
    public void DeletingEverySegmentClearsPending()
    {
        using var spill = new AuditSpillFile(_directory, "a", TimeProvider.System);
        spill.Append(AuditTestEvents.Numbered(1));

        foreach (var segment in spill.SealSegments())
        {
            spill.Delete(segment);
        }

        Assert.False(spill.HasPending);
    }

    [Fact]
    public void SegmentsLeftByAnEarlierRunArePendingForTheNext()
    {
        using (var before = new AuditSpillFile(_directory, "a", TimeProvider.System))
        {
            before.Append(AuditTestEvents.Numbered(1));
        }

        using var after = new AuditSpillFile(_directory, "b", TimeProvider.System);

        Assert.True(after.HasPending);
        Assert.Equal([1], after.SealSegments().SelectMany(AuditSpillFile.Read).Select(AuditTestEvents.Number));
    }

    [Fact]
    public void ATornLastLineIsSkipped()
    {
        using var spill = new AuditSpillFile(_directory, "a", TimeProvider.System);
        spill.Append(AuditTestEvents.Numbered(1));
        var segment = Assert.Single(spill.SealSegments());
        File.AppendAllText(segment, """{"eventId":"not-fin""");

        Assert.Equal([1], AuditSpillFile.Read(segment).Select(AuditTestEvents.Number));
    }

    [Fact]
    public void ASecondProcessSharingTheFolderGetsItsOwnSubFolder()
    {
        using var first = new AuditSpillFile(_directory, "a", TimeProvider.System);
        using var second = new AuditSpillFile(_directory, "b", TimeProvider.System);

        Assert.NotEqual(first.DirectoryPath, second.DirectoryPath);
        Assert.StartsWith(first.DirectoryPath, second.DirectoryPath, StringComparison.Ordinal);
    }
}
