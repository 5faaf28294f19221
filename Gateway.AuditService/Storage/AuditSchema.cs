using System.Data.Common;

namespace Gateway.AuditService.Storage;

/// <summary>
/// The versioned schema, one list of migrations for both engines; only the column type names differ. Applied
/// versions are recorded in <c>audit_schema</c>, so start-up applies exactly the missing ones, in order.
/// </summary>
internal static class AuditSchema
{
    /// <summary>Column type names of one engine.</summary>
    public sealed record Types(string Uuid, string Text, string Int32, string Int64, string Double, string Boolean, string Json);

    public static readonly Types SqliteTypes = new("TEXT", "TEXT", "INTEGER", "INTEGER", "REAL", "INTEGER", "TEXT");

    public static readonly Types PostgresTypes = new("uuid", "text", "integer", "bigint", "double precision", "boolean", "jsonb");

    public sealed record Migration(int Version, string Description, IReadOnlyList<string> Statements);

    /// <summary>Append new migrations at the end; never edit a released one.</summary>
    public static IReadOnlyList<Migration> Migrations(Types t) =>
    [
        new(1, "audit_events with indexes for every query filter",
        [
            $"""
            CREATE TABLE audit_events (
                event_id         {t.Uuid} NOT NULL PRIMARY KEY,
                ts_us            {t.Int64} NOT NULL,
                source           {t.Text} NOT NULL,
                request_id       {t.Text},
                session_id       {t.Text},
                client_id        {t.Text},
                method           {t.Text} NOT NULL,
                target           {t.Text},
                backend          {t.Text},
                decision         {t.Text} NOT NULL,
                status           {t.Text} NOT NULL,
                error_code       {t.Int32},
                latency_ms       {t.Double} NOT NULL,
                response_bytes   {t.Int64} NOT NULL,
                arguments_sha256 {t.Text},
                arguments        {t.Text},
                detail           {t.Text}
            )
            """,
            // Newest-first paging and retention walk this one; each filter has its own (column, time) index so a
            // filtered page is a short range scan, whatever the table size.
            "CREATE INDEX ix_audit_events_time ON audit_events (ts_us, event_id)",
            "CREATE INDEX ix_audit_events_client ON audit_events (client_id, ts_us)",
            "CREATE INDEX ix_audit_events_target ON audit_events (target, ts_us)",
            "CREATE INDEX ix_audit_events_backend ON audit_events (backend, ts_us)",
            "CREATE INDEX ix_audit_events_status ON audit_events (status, ts_us)",
            "CREATE INDEX ix_audit_events_error ON audit_events (error_code, ts_us) WHERE error_code IS NOT NULL",
        ]),
        // "What was refused for client X, and why": a status the client rarely has made the (client_id, ts_us) index walk
        // all of that client's rows (about 1 s on 10 M rows). With the status in the key it is one range scan. Only
        // client + status gets one: each index costs every insert (bench/results/audit-query.md weighs it), and
        // client + decision is served well enough by the client index, since refusals are not rare among a client's calls.
        new(2, "client + status index for combined filters",
        [
            "CREATE INDEX ix_audit_events_client_status ON audit_events (client_id, status, ts_us)",
        ]),
        // LLM requests (the /v1 endpoints): all nullable, so rows stored before keep reading as calls without them, and a
        // replica still on version 2 keeps inserting while a newer one has migrated. attempts is NULL exactly when the
        // event has no LLM part. No index: the filters stay client/target (requested model)/backend (provider).
        new(3, "LLM request columns: upstream model, streamed, time to first byte, tokens, attempts",
        [
            $"ALTER TABLE audit_events ADD COLUMN upstream_model {t.Text}",
            $"ALTER TABLE audit_events ADD COLUMN streamed {t.Boolean}",
            $"ALTER TABLE audit_events ADD COLUMN ttfb_ms {t.Double}",
            $"ALTER TABLE audit_events ADD COLUMN input_tokens {t.Int64}",
            $"ALTER TABLE audit_events ADD COLUMN output_tokens {t.Int64}",
            $"ALTER TABLE audit_events ADD COLUMN attempts {t.Json}",
        ]),
        // OAuth callers: the user (token subject) behind a call, next to the client it came through.
        new(4, "user subject of OAuth calls",
        [
            $"ALTER TABLE audit_events ADD COLUMN user_subject {t.Text}",
        ]),
    ];

    /// <summary>
    /// Applies the missing migrations inside <paramref name="transaction"/>; the caller has already taken the
    /// engine's schema lock so concurrent replicas apply each version once. Returns the resulting version.
    /// </summary>
    public static async Task<int> ApplyAsync(DbConnection connection, DbTransaction transaction, Types types, long nowMicros, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, transaction,
            $"CREATE TABLE IF NOT EXISTS audit_schema (version {types.Int32} NOT NULL PRIMARY KEY, description {types.Text} NOT NULL, applied_us {types.Int64} NOT NULL)",
            cancellationToken);

        await using var current = connection.CreateCommand();
        current.Transaction = transaction;
        current.CommandText = "SELECT COALESCE(MAX(version), 0) FROM audit_schema";
        var version = Convert.ToInt32(await current.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture);

        foreach (var migration in Migrations(types).Where(m => m.Version > version))
        {
            foreach (var statement in migration.Statements)
            {
                await ExecuteAsync(connection, transaction, statement, cancellationToken);
            }

            await using var record = connection.CreateCommand();
            record.Transaction = transaction;
            record.CommandText = "INSERT INTO audit_schema (version, description, applied_us) VALUES (@version, @description, @applied)";
            AuditQueries.AddParameter(record, "@version", migration.Version);
            AuditQueries.AddParameter(record, "@description", migration.Description);
            AuditQueries.AddParameter(record, "@applied", nowMicros);
            await record.ExecuteNonQueryAsync(cancellationToken);
            version = migration.Version;
        }

        return version;
    }

    public static async Task ExecuteAsync(DbConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
