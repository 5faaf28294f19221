namespace Gateway.AppHost.Supervision;

/// <summary>
/// How long to wait before starting a crashed resource again: 1 s after the first crash, doubling with each crash that
/// follows within <see cref="StableAfter"/> of the last start, up to <see cref="Max"/>. A process that crashes at start
/// is not restarted in a tight loop; one that ran for a while is back within a second.
/// </summary>
public sealed class RestartBackoff(TimeProvider time)
{
    public static readonly TimeSpan Initial = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan Max = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan StableAfter = TimeSpan.FromSeconds(60);

    private DateTimeOffset? _lastStart;
    private TimeSpan _next = Initial;

    /// <summary>The delay before the restart that follows a crash now; call once per crash.</summary>
    public TimeSpan NextDelay()
    {
        var now = time.GetUtcNow();
        if (_lastStart is { } started && now - started >= StableAfter)
        {
            _next = Initial;
        }

        var delay = _next;
        _next = TimeSpan.FromTicks(Math.Min(_next.Ticks * 2, Max.Ticks));
        return delay;
    }

    /// <summary>Records that the resource was started again.</summary>
    public void Started() => _lastStart = time.GetUtcNow();
}
