using System.ComponentModel.DataAnnotations;

namespace Gateway.AuditService.Ingestion;

/// <summary>How audit events are taken off the bus. Bound from <c>Gateway:Audit:Ingestion</c>.</summary>
internal sealed class AuditIngestionOptions
{
    public const string SectionName = "Gateway:Audit:Ingestion";

    /// <summary>
    /// The durable queue every audit replica consumes from (competing consumers); invalid events go to
    /// <c>{QueueName}_error</c>. Default: <c>audit-events</c>.
    /// </summary>
    [Required, RegularExpression("^[a-z0-9][a-z0-9_.-]{0,200}$")]
    public string QueueName { get; set; } = "audit-events";

    /// <summary>
    /// Most messages in one batch, hence in one database transaction. Default: 20. A proxy message carries up to 200
    /// events (up to 10,000 if configured), so this also bounds the events in one transaction and, through the prefetch
    /// (this limit times <see cref="BatchConcurrencyLimit"/> + 1), the events held in memory while a backlog drains.
    /// </summary>
    [Range(1, 10_000)]
    public int BatchMessageLimit { get; set; } = 20;

    /// <summary>Longest a partial batch waits for more messages before it is committed anyway. Default: 50 ms.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan BatchTimeLimit { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Batches committed at the same time by one replica. Default: 2.</summary>
    [Range(1, 64)]
    public int BatchConcurrencyLimit { get; set; } = 2;

    /// <summary>Longest wait between attempts to commit a batch while the database is unreachable. Default: 5 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan CommitRetryMaxInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Longest wait for the broker to take a rejected message on the error queue. When it passes, the batch fails and
    /// its messages are redelivered instead of being acknowledged without their reject. Default: 10 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:05:00")]
    public TimeSpan ErrorQueueSendTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
