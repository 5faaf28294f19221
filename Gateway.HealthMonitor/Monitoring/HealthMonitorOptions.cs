using System.ComponentModel.DataAnnotations;
using Gateway.Contracts.Circuit;

namespace Gateway.HealthMonitor.Monitoring;

/// <summary>Probe cadence, health thresholds and leader election. Bound from <c>Gateway:HealthMonitor</c>.</summary>
public sealed class HealthMonitorOptions : IValidatableObject
{
    public const string SectionName = "Gateway:HealthMonitor";

    /// <summary>Identity of this monitor replica in the leader lease. Default: host name plus a random suffix.</summary>
    [Required]
    public string InstanceId { get; set; } = $"{Environment.MachineName}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>Time between active probes of each HTTP backend and LLM provider. Default: 5 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long one probe may take before it counts as a failure. Default: 2 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Consecutive probe successes that mark an unhealthy backend healthy again. Default: 2.</summary>
    [Range(1, 100)]
    public int HealthyThreshold { get; set; } = 2;

    /// <summary>Consecutive probe failures that mark a backend unhealthy and open its circuit. Default: 3.</summary>
    [Range(1, 100)]
    public int UnhealthyThreshold { get; set; } = 3;

    /// <summary>
    /// Time to live of the leader lease. A standby takes over at most this long (plus one
    /// <see cref="LeaseRenewInterval"/>) after the leader dies. A freshly started replica also waits this long before
    /// it contends, so a restarted leader does not race the standby that is taking over from it. Default: 3 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan LeaseTtl { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How often the leader renews its lease and a standby tries to take it; must be shorter than <see cref="LeaseTtl"/>. Default: 1 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.020", "00:10:00")]
    public TimeSpan LeaseRenewInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often Open circuits are checked for the end of their break. Default: 250 ms.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan TickInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Transitions kept per backend for <c>GET /api/backends</c>. Default: 20.</summary>
    [Range(1, 1000)]
    public int HistoryLength { get; set; } = 20;

    /// <summary>Prefix of the Redis keys (snapshot, sequence, lease). Default: <c>gateway:circuit</c>.</summary>
    [Required]
    public string KeyPrefix { get; set; } = CircuitSnapshotFormat.DefaultKeyPrefix;

    /// <summary>
    /// Where the other monitor replicas reach this one's API, written beside the lease while it leads so a standby
    /// forwards isolate/reset to it. Default: the first address this replica listens on (a wildcard host becomes the
    /// machine name); set it when that is not reachable from the other replicas (containers, NAT).
    /// </summary>
    public Uri? AdvertisedUrl { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // A lease renewed no more often than it expires lapses between renewals, and leadership would flap.
        if (LeaseRenewInterval >= LeaseTtl)
        {
            yield return new ValidationResult(
                $"LeaseRenewInterval ({LeaseRenewInterval}) must be shorter than LeaseTtl ({LeaseTtl}).",
                [nameof(LeaseRenewInterval), nameof(LeaseTtl)]);
        }

        if (AdvertisedUrl is { IsAbsoluteUri: false })
        {
            yield return new ValidationResult("AdvertisedUrl must be an absolute URL.", [nameof(AdvertisedUrl)]);
        }
    }
}
