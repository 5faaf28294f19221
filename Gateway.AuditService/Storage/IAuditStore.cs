using Gateway.Contracts.Messages;

namespace Gateway.AuditService.Storage;

/// <summary>
/// The durable audit log. Exactly two implementations: <see cref="Sqlite.SqliteAuditStore"/> (the embedded default)
/// and <see cref="Postgres.PostgresAuditStore"/>; both share one schema and one set of read queries
/// (<see cref="AuditQueries"/>).
/// </summary>
internal interface IAuditStore
{
    /// <summary>Which engine this is, for health and logs.</summary>
    string Engine { get; }

    /// <summary>Creates the schema or migrates it to the latest version. Safe to run from several replicas at once.</summary>
    Task MigrateAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Stores <paramref name="events"/> in one transaction; an event whose id is already stored is skipped, so a
    /// redelivered event is stored once. Returns how many were new.
    /// </summary>
    Task<int> AppendAsync(IReadOnlyCollection<AuditEvent> events, CancellationToken cancellationToken);

    /// <summary>
    /// Whether <paramref name="exception"/>, thrown by <see cref="AppendAsync"/>, says the database is away or busy (so
    /// the same batch will commit later and is retried) rather than that it refuses these rows (so retrying can never
    /// succeed and the offending message goes to the error queue).
    /// </summary>
    bool IsTransient(Exception exception);

    /// <summary>The read side (search, lookup, export, statistics), the same portable SQL for both engines.</summary>
    AuditQueries Queries { get; }

    /// <summary>Deletes at most <paramref name="batchSize"/> records older than <paramref name="cutoff"/> in one short transaction.</summary>
    Task<int> DeleteOlderThanAsync(DateTimeOffset cutoff, int batchSize, CancellationToken cancellationToken);
}
