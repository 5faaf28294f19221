using System.ComponentModel.DataAnnotations;

namespace Gateway.Proxy.Pipeline.KillSwitches;

/// <summary>How a replica keeps its kill-switch snapshot current. Bound from <c>Gateway:KillSwitches</c>.</summary>
public sealed class KillSwitchOptions
{
    public const string SectionName = "Gateway:KillSwitches";

    /// <summary>
    /// Safety-net re-read of the store, for a change whose bus notification this replica missed. The bus applies
    /// changes at once; this bounds how stale a replica can be without it. Default: 1 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one read of the store may take before the replica keeps its last snapshot. Default: 2 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan StoreTimeout { get; set; } = TimeSpan.FromSeconds(2);
}
