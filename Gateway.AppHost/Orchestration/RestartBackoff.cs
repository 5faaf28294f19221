namespace Gateway.AppHost.Orchestration;

/// <summary>
/// Delay before restarting a crashed resource: 1 s, 2 s, 4 s... capped at 30 s, growing only while the resource
/// keeps crashing before it becomes healthy (a resource that was healthy restarts after 1 s again).
/// </summary>
public static class RestartBackoff
{
    public static readonly TimeSpan Initial = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan Maximum = TimeSpan.FromSeconds(30);

    /// <param name="consecutiveFailures">Crashes since the resource was last healthy, at least 1.</param>
    public static TimeSpan For(int consecutiveFailures)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(consecutiveFailures, 1);
        var exponent = Math.Min(consecutiveFailures - 1, 16);
        var delay = Initial * Math.Pow(2, exponent);
        return delay < Maximum ? delay : Maximum;
    }
}
