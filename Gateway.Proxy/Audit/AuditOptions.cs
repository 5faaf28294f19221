using System.ComponentModel.DataAnnotations;

namespace Gateway.Proxy.Audit;

/// <summary>How the proxy buffers and publishes audit events. Bound from <c>Gateway:Audit</c>.</summary>
public sealed class AuditOptions
{
    public const string SectionName = "Gateway:Audit";

    /// <summary>
    /// Folder of the append-only NDJSON spill files that hold events while the bus is down, replayed in order when
    /// it returns (also after a restart). Give each replica its own. Default: <c>gateway-audit-spill</c> in the
    /// system temporary folder.
    /// </summary>
    public string? SpillDirectory { get; set; }

    /// <summary>
    /// Write each event to a journal file in <see cref="SpillDirectory"/> before the call it describes is answered, so
    /// a replica killed outright (<c>kill -9</c>, the OOM killer) loses no event it held in memory: the next process
    /// owning the folder replays them. Costs one small file write per call. Default: true.
    /// </summary>
    public bool WriteAhead { get; set; } = true;

    /// <summary>
    /// The most bytes of events allowed to wait in <see cref="SpillDirectory"/> (while the bus is down). Past it the
    /// replica refuses calls (MCP <c>-32011</c>, LLM 503 <c>audit_unavailable</c>) instead of answering calls it could
    /// not audit; the refusals themselves are still recorded, a line each. Default: 1 GiB.
    /// </summary>
    [Range(16_384, long.MaxValue)]
    public long SpillLimitBytes { get; set; } = 1L << 30;

    /// <summary>Events held in memory before further ones go straight to the spill file. Default: 10,000.</summary>
    [Range(16, 10_000_000)]
    public int BufferCapacity { get; set; } = 10_000;

    /// <summary>
    /// Most events sent in one <c>AuditEventBatch</c>. Default: 200. Larger messages cost the broker and the audit
    /// service a little less CPU per event, but with 500 and 1,000 events per message the audit service's SQLite
    /// ingest rate fell by a third to a half (bench/results/audit-ingest.md); such bodies exceed 85 KB and are
    /// allocated on the large object heap, the suspected cause.
    /// </summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 200;

    /// <summary>How long a partial batch waits for more events before it is sent. Default: 50 ms.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:10")]
    public TimeSpan BatchDelay { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>How long one publish may wait for the broker's confirmation before the batch is spilled. Default: 5 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:05:00")]
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>While events wait on disk, how often the bus is tried again. Default: 2 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan RetryInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The <c>Source</c> of every event this replica emits. Default: <c>proxy/</c> and a random instance id.</summary>
    public string? Source { get; set; }
}
