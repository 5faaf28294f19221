namespace Gateway.AuditService.Ingestion;

/// <summary>
/// Tells when the bus has gone without a healthy reading for longer than a stall timeout. Pure: the caller feeds it
/// readings with the time they were taken, so it is pinned by unit tests on virtual time.
/// </summary>
internal sealed class BusStallDetector(TimeSpan stallTimeout, DateTimeOffset startedAt)
{
    private DateTimeOffset _lastHealthy = startedAt;

    /// <summary>Records one reading; true when the bus has not been healthy since <c>now - stallTimeout</c>.</summary>
    public bool Observe(bool healthy, DateTimeOffset now)
    {
        if (healthy)
        {
            _lastHealthy = now;
            return false;
        }

        return now - _lastHealthy >= stallTimeout;
    }
}
