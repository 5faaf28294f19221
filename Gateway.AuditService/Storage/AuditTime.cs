namespace Gateway.AuditService.Storage;

/// <summary>
/// Both stores keep time as microseconds since the Unix epoch (PostgreSQL's own resolution), so the schema, the
/// keyset cursor and the per-minute buckets are identical in SQLite and PostgreSQL.
/// </summary>
internal static class AuditTime
{
    public const long MicrosPerMinute = 60_000_000;

    public static long ToMicros(DateTimeOffset value) =>
        (value.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond;

    public static DateTimeOffset FromMicros(long micros) =>
        DateTimeOffset.UnixEpoch.AddTicks(micros * TimeSpan.TicksPerMicrosecond);
}
