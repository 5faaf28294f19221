using System.Data.Common;
using Gateway.Contracts.Messages;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Gateway.AuditService.Storage.Sqlite;

/// <summary>
/// The embedded audit store: one SQLite file in WAL mode, so queries and exports read while a batch is written.
/// SQLite has a single writer, so appends and retention deletes take turns on a lock instead of spinning on
/// SQLITE_BUSY; each append is one transaction.
/// </summary>
internal sealed class SqliteAuditStore : IAuditStore, IAsyncDisposable
{
    private static readonly string InsertSql =
        $"INSERT INTO audit_events ({AuditQueries.Columns}) VALUES ({string.Join(", ", Enumerable.Repeat("?", AuditQueries.ColumnCount))}) " +
        "ON CONFLICT (event_id) DO NOTHING";

    /// <summary>Decision names by value, so the hot path does not format enums.</summary>
    private static readonly string[] DecisionNames = Enum.GetNames<AuditDecision>();

    private readonly string _connectionString;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _writeLock = new(1, 1);

    public SqliteAuditStore(string connectionString, TimeProvider time)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString) { Pooling = true };
        if (builder.Mode is SqliteOpenMode.ReadWriteCreate && Path.GetDirectoryName(Path.GetFullPath(builder.DataSource)) is { } directory)
        {
            Directory.CreateDirectory(directory);
        }

        _connectionString = builder.ToString();
        _time = time;
        Queries = new AuditQueries(async ct => await OpenAsync(ct), id => id.ToString());
    }

    public string Engine => "sqlite";

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        // WAL is a property of the file: set once, every later connection uses it.
        await AuditSchema.ExecuteAsync(connection, null, "PRAGMA journal_mode = WAL", cancellationToken);
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await AuditSchema.ApplyAsync(connection, transaction, AuditSchema.SqliteTypes, AuditTime.ToMicros(_time.GetUtcNow()), cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task<int> AppendAsync(IReadOnlyCollection<AuditEvent> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0)
        {
            return 0;
        }

        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            await using var connection = await OpenAsync(cancellationToken);
            // BEGIN IMMEDIATE (Microsoft.Data.Sqlite's default): the write lock is taken up front, never upgraded mid-batch.
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            var inserted = InsertAll(connection, events);
            await transaction.CommitAsync(cancellationToken);
            return inserted;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// The hot path, straight on SQLite's C API through SQLitePCLRaw (the provider beneath Microsoft.Data.Sqlite): one
    /// prepared statement, parameters bound by position. ADO.NET resolves every parameter by name on every row; on the
    /// store benchmark that cost about 30 % more CPU per event and half the throughput (bench/results/audit-ingest.md).
    /// </summary>
    private static int InsertAll(SqliteConnection connection, IReadOnlyCollection<AuditEvent> events)
    {
        var db = connection.Handle!;
        Check(db, raw.sqlite3_prepare_v2(db, InsertSql, out var statement));
        using (statement)
        {
            var inserted = 0;
            foreach (var e in events)
            {
                Text(statement, 1, e.EventId.ToString());
                raw.sqlite3_bind_int64(statement, 2, AuditTime.ToMicros(e.Timestamp));
                Text(statement, 3, e.Source);
                Text(statement, 4, e.RequestId);
                Text(statement, 5, e.SessionId);
                Text(statement, 6, e.ClientId);
                Text(statement, 7, e.Method);
                Text(statement, 8, e.Target);
                Text(statement, 9, e.Backend);
                Text(statement, 10, DecisionNames[(int)e.Decision]);
                Text(statement, 11, e.Status);
                if (e.ErrorCode is { } code)
                {
                    raw.sqlite3_bind_int64(statement, 12, code);
                }
                else
                {
                    raw.sqlite3_bind_null(statement, 12);
                }

                raw.sqlite3_bind_double(statement, 13, e.LatencyMs);
                raw.sqlite3_bind_int64(statement, 14, e.ResponseBytes);
                Text(statement, 15, e.ArgumentsSha256);
                Text(statement, 16, e.Arguments);
                Text(statement, 17, e.Detail);
                Text(statement, 18, e.User);
                BindLlm(statement, e.Llm);
                var result = raw.sqlite3_step(statement);
                if (result != raw.SQLITE_DONE)
                {
                    Check(db, result);
                }

                inserted += raw.sqlite3_changes(db);
                raw.sqlite3_reset(statement);
            }

            return inserted;
        }
    }

    /// <summary>The parameters of <see cref="AuditQueries.LlmColumns"/>; all NULL for an event without an LLM part.</summary>
    private static void BindLlm(sqlite3_stmt statement, LlmCallAudit? llm)
    {
        // Parameters count from 1, reader ordinals from 0.
        const int first = AuditQueries.LlmOrdinal + 1;
        Text(statement, first, llm?.UpstreamModel);
        Int64(statement, first + 1, llm is null ? null : llm.Streamed ? 1 : 0);
        if (llm?.TimeToFirstByteMs is { } ttfb)
        {
            raw.sqlite3_bind_double(statement, first + 2, ttfb);
        }
        else
        {
            raw.sqlite3_bind_null(statement, first + 2);
        }

        Int64(statement, first + 3, llm?.InputTokens);
        Int64(statement, first + 4, llm?.OutputTokens);
        Text(statement, first + 5, llm is null ? null : LlmAttemptsJson.Serialize(llm.Attempts));
    }

    private static void Int64(sqlite3_stmt statement, int index, long? value)
    {
        if (value is { } number)
        {
            raw.sqlite3_bind_int64(statement, index, number);
        }
        else
        {
            raw.sqlite3_bind_null(statement, index);
        }
    }

    private static void Text(sqlite3_stmt statement, int index, string? value)
    {
        if (value is null)
        {
            raw.sqlite3_bind_null(statement, index);
        }
        else
        {
            raw.sqlite3_bind_text(statement, index, value);
        }
    }

    private static void Check(sqlite3 db, int result)
    {
        if (result is not (raw.SQLITE_OK or raw.SQLITE_DONE or raw.SQLITE_ROW))
        {
            throw new SqliteException(raw.sqlite3_errmsg(db).utf8_to_string(), result);
        }
    }

    /// <summary>
    /// Busy or locked (another writer, a checkpoint), out of memory, I/O and disk-full errors, a file that cannot be
    /// opened: all about the database's state, not the rows. Anything else (a constraint, a value SQLite rejects, a
    /// missing table) will fail the same way every time.
    /// </summary>
    public bool IsTransient(Exception exception) => exception switch
    {
        SqliteException sqlite => (sqlite.SqliteErrorCode & 0xFF) is raw.SQLITE_BUSY or raw.SQLITE_LOCKED or raw.SQLITE_NOMEM
            or raw.SQLITE_IOERR or raw.SQLITE_FULL or raw.SQLITE_CANTOPEN or raw.SQLITE_PROTOCOL,
        IOException or UnauthorizedAccessException => true,
        _ => false,
    };

    public AuditQueries Queries { get; }

    public async Task<int> DeleteOlderThanAsync(DateTimeOffset cutoff, int batchSize, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            await using var connection = await OpenAsync(cancellationToken);
            await using var command = AuditQueries.BuildDeleteOlderThan(connection, cutoff, batchSize);
            return await command.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Wait for a write in progress, then close the pooled connections so the WAL is checkpointed and the file released.
        await _writeLock.WaitAsync();
        SqliteConnection.ClearAllPools();
        _writeLock.Dispose();
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            // FULL: a committed batch survives power loss, not only a process crash; one fsync per batch is cheap.
            // A 64 MB page cache keeps the upper levels of the seven indexes in memory; the 2 MB default thrashed.
            // Checkpointing every 16,384 WAL pages (64 MB) instead of SQLite's 1,000: an index page that many batches
            // touch is copied to the database once per checkpoint, not once per 4 MB of WAL. It cut the store's CPU per
            // event by about a fifth (bench/results/audit-ingest.md) and changes nothing about durability: every
            // commit is still synced to the WAL.
            await AuditSchema.ExecuteAsync(connection, null,
                "PRAGMA busy_timeout = 5000; PRAGMA synchronous = FULL; PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 16384",
                cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}
