namespace Gateway.HealthMonitor.Probes;

/// <summary>The outcome of one active probe.</summary>
public readonly record struct ProbeResult(bool Success, string? Error)
{
    public static ProbeResult Ok { get; } = new(true, null);

    public static ProbeResult Failed(string error) => new(false, error);
}
