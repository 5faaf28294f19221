using System.ComponentModel.DataAnnotations;

namespace Gateway.AuditService.Retention;

/// <summary>How long audit records are kept. Bound from <c>Gateway:Audit:Retention</c>.</summary>
internal sealed class RetentionOptions
{
    public const string SectionName = "Gateway:Audit:Retention";

    /// <summary>Records older than this many days are deleted; 0 keeps everything. Default: 30.</summary>
    [Range(0, 36_500)]
    public int Days { get; set; } = 30;

    /// <summary>
    /// Most records deleted per transaction. Small, so each delete holds the write lock for milliseconds and
    /// ingestion interleaves between batches. Default: 1000.
    /// </summary>
    [Range(1, 100_000)]
    public int BatchSize { get; set; } = 1000;

    /// <summary>Pause between two delete batches while a backlog is being cleared. Default: 50 ms.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan BatchPause { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>How often expired records are looked for. Default: 10 minutes.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan Interval { get; set; } = TimeSpan.FromMinutes(10);
}
