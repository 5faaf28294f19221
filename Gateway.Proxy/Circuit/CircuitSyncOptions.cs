using System.ComponentModel.DataAnnotations;
using Gateway.Contracts.Circuit;

namespace Gateway.Proxy.Circuit;

/// <summary>How this proxy replica follows the health monitor. Bound from <c>Gateway:Circuit</c>.</summary>
public sealed class CircuitSyncOptions
{
    public const string SectionName = "Gateway:Circuit";

    /// <summary>This replica's name in outcome reports. Default: host name plus a random suffix.</summary>
    [Required]
    public string InstanceId { get; set; } = $"{Environment.MachineName}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>Prefix of the monitor's Redis keys. Default: <c>gateway:circuit</c> (must match the monitor's).</summary>
    [Required]
    public string KeyPrefix { get; set; } = CircuitSnapshotFormat.DefaultKeyPrefix;

    /// <summary>Pause between attempts to read the snapshot while Redis is unreachable. Default: 1 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan SnapshotRetryInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often outcomes are batched to the monitor (only when there is something to report). Default: 250 ms.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan OutcomeReportInterval { get; set; } = TimeSpan.FromMilliseconds(250);
}
