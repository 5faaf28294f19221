using Gateway.Contracts.Messages;
using Npgsql;
using NpgsqlTypes;

namespace Gateway.AuditService.Storage.Postgres;

/// <summary>
/// The server audit store. A batch is binary-COPYed into a session-local staging table and moved with
/// <c>INSERT ... SELECT ... ON CONFLICT DO NOTHING</c> in the same transaction: COPY's speed with idempotent
/// inserts, since COPY alone cannot skip an event id that is already stored.
/// </summary>
internal sealed class PostgresAuditStore : IAuditStore, IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _time;

    /// <summary>
    /// The store is its data source's only user and disposes it with itself; in a host the container disposes the
    /// data source once more afterwards, which is a no-op for a disposed one.
    /// </summary>
    public PostgresAuditStore(NpgsqlDataSource dataSource, TimeProvider time)
    {
        _dataSource = dataSource;
        _time = time;
        Queries = new AuditQueries(async ct => await _dataSource.OpenConnectionAsync(ct), id => id);
    }

    public string Engine => "postgresql";

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Replicas starting together queue on this lock; the first migrates, the others find nothing to do.
        await AuditSchema.ExecuteAsync(connection, transaction, "SELECT pg_advisory_xact_lock(7420119)", cancellationToken);
        await AuditSchema.ApplyAsync(connection, transaction, AuditSchema.PostgresTypes, AuditTime.ToMicros(_time.GetUtcNow()), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<int> AppendAsync(IReadOnlyCollection<AuditEvent> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0)
        {
            return 0;
        }

        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await AuditSchema.ExecuteAsync(connection, transaction,
            "CREATE TEMP TABLE IF NOT EXISTS audit_staging (LIKE audit_events) ON COMMIT DELETE ROWS", cancellationToken);

        await using (var copy = await connection.BeginBinaryImportAsync(
            $"COPY audit_staging ({AuditQueries.Columns}) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var e in events)
            {
                await copy.StartRowAsync(cancellationToken);
                await copy.WriteAsync(e.EventId, NpgsqlDbType.Uuid, cancellationToken);
                await copy.WriteAsync(AuditTime.ToMicros(e.Timestamp), NpgsqlDbType.Bigint, cancellationToken);
                await copy.WriteAsync(e.Source, NpgsqlDbType.Text, cancellationToken);
                await WriteNullableAsync(copy, e.RequestId, cancellationToken);
                await WriteNullableAsync(copy, e.SessionId, cancellationToken);
                await WriteNullableAsync(copy, e.ClientId, cancellationToken);
                await copy.WriteAsync(e.Method, NpgsqlDbType.Text, cancellationToken);
                await WriteNullableAsync(copy, e.Target, cancellationToken);
                await WriteNullableAsync(copy, e.Backend, cancellationToken);
                await copy.WriteAsync(e.Decision.ToString(), NpgsqlDbType.Text, cancellationToken);
                await copy.WriteAsync(e.Status, NpgsqlDbType.Text, cancellationToken);
                if (e.ErrorCode is { } code)
                {
                    await copy.WriteAsync(code, NpgsqlDbType.Integer, cancellationToken);
                }
                else
                {
                    await copy.WriteNullAsync(cancellationToken);
                }

                await copy.WriteAsync(e.LatencyMs, NpgsqlDbType.Double, cancellationToken);
                await copy.WriteAsync(e.ResponseBytes, NpgsqlDbType.Bigint, cancellationToken);
                await WriteNullableAsync(copy, e.ArgumentsSha256, cancellationToken);
                await WriteNullableAsync(copy, e.Arguments, cancellationToken);
                await WriteNullableAsync(copy, e.Detail, cancellationToken);
                await WriteNullableAsync(copy, e.User, cancellationToken);
                await WriteLlmAsync(copy, e.Llm, cancellationToken);
            }

            await copy.CompleteAsync(cancellationToken);
        }

        await using var move = connection.CreateCommand();
        move.Transaction = transaction;
        move.CommandText =
            $"INSERT INTO audit_events ({AuditQueries.Columns}) SELECT {AuditQueries.Columns} FROM audit_staging " +
            "ON CONFLICT (event_id) DO NOTHING";
        var inserted = await move.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return inserted;
    }

    /// <summary>
    /// Npgsql's own judgement (connection refused or lost, timeouts, serialization failures, the server shutting down or
    /// short of resources), plus the SQLSTATE classes that mean the same: 08 connection, 53 insufficient resources,
    /// 57 operator intervention, 58 system error. A data or schema error (22, 23, 42, ...) is permanent.
    /// </summary>
    public bool IsTransient(Exception exception) => exception switch
    {
        PostgresException postgres => postgres.IsTransient || postgres.SqlState[..2] is "08" or "53" or "57" or "58",
        NpgsqlException npgsql => npgsql.IsTransient || npgsql.InnerException is IOException or System.Net.Sockets.SocketException or TimeoutException,
        IOException or System.Net.Sockets.SocketException or TimeoutException => true,
        _ => false,
    };

    public AuditQueries Queries { get; }

    public async Task<int> DeleteOlderThanAsync(DateTimeOffset cutoff, int batchSize, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = AuditQueries.BuildDeleteOlderThan(connection, cutoff, batchSize);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    /// <summary>The columns of <see cref="AuditQueries.LlmColumns"/>; all NULL for an event without an LLM part.</summary>
    private static async Task WriteLlmAsync(NpgsqlBinaryImporter copy, LlmCallAudit? llm, CancellationToken cancellationToken)
    {
        if (llm is null)
        {
            for (var i = 0; i < 6; i++)
            {
                await copy.WriteNullAsync(cancellationToken);
            }

            return;
        }

        await WriteNullableAsync(copy, llm.UpstreamModel, cancellationToken);
        await copy.WriteAsync(llm.Streamed, NpgsqlDbType.Boolean, cancellationToken);
        await WriteNullableAsync(copy, llm.TimeToFirstByteMs, NpgsqlDbType.Double, cancellationToken);
        await WriteNullableAsync(copy, llm.InputTokens, NpgsqlDbType.Bigint, cancellationToken);
        await WriteNullableAsync(copy, llm.OutputTokens, NpgsqlDbType.Bigint, cancellationToken);
        await copy.WriteAsync(LlmAttemptsJson.Serialize(llm.Attempts), NpgsqlDbType.Jsonb, cancellationToken);
    }

    private static Task WriteNullableAsync<T>(NpgsqlBinaryImporter copy, T? value, NpgsqlDbType type, CancellationToken cancellationToken)
        where T : struct =>
        value is { } v ? copy.WriteAsync(v, type, cancellationToken) : copy.WriteNullAsync(cancellationToken);

    private static Task WriteNullableAsync(NpgsqlBinaryImporter copy, string? value, CancellationToken cancellationToken) =>
        value is null ? copy.WriteNullAsync(cancellationToken) : copy.WriteAsync(value, NpgsqlDbType.Text, cancellationToken);
}
