using System.Data.Common;
using Gateway.Contracts.Messages;
using Microsoft.Data.Sqlite;

namespace Gateway.AuditService.Storage.Sqlite;

/// <summary>
/// The embedded audit store: one SQLite file in WAL mode, so queries and exports read while a batch is written.
/// SQLite has a single writer, so appends and retention deletes take turns on a lock instead of spinning on
/// SQLITE_BUSY; each append is one transaction.
/// </summary>
internal sealed class SqliteAuditStore : IAuditStore, IAsyncDisposable
{
    /// <summary>Parameters of the insert, in <see cref="AuditQueries.Columns"/> order.</summary>
    private static readonly string[] InsertParameters =
    [
        "@id", "@ts", "@source", "@request", "@session", "@client", "@method", "@target", "@backend",
        "@decision", "@status", "@error", "@latency", "@bytes", "@sha", "@args", "@detail",
    ];

    private readonly string _connectionString;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly AuditQueries _queries;

    public SqliteAuditStore(string connectionString, TimeProvider time)
    {
        var builder = new SqliteConnectionStringBuilder(connectionString) { Pooling = true };
        if (builder.Mode is SqliteOpenMode.ReadWriteCreate && Path.GetDirectoryName(Path.GetFullPath(builder.DataSource)) is { } directory)
        {
            Directory.CreateDirectory(directory);
        }

        _connectionString = builder.ToString();
        _time = time;
        _queries = new AuditQueries(async ct => await OpenAsync(ct), id => id.ToString());
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
            await using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText =
                $"INSERT INTO audit_events ({AuditQueries.Columns}) VALUES ({string.Join(", ", InsertParameters)}) " +
                "ON CONFLICT (event_id) DO NOTHING";
            var parameters = InsertParameters.Select(name => command.Parameters.Add(new SqliteParameter { ParameterName = name })).ToArray();
            command.Prepare();

            var inserted = 0;
            foreach (var e in events)
            {
                parameters[0].Value = e.EventId.ToString();
                parameters[1].Value = AuditTime.ToMicros(e.Timestamp);
                parameters[2].Value = e.Source;
                parameters[3].Value = (object?)e.RequestId ?? DBNull.Value;
                parameters[4].Value = (object?)e.SessionId ?? DBNull.Value;
                parameters[5].Value = (object?)e.ClientId ?? DBNull.Value;
                parameters[6].Value = e.Method;
                parameters[7].Value = (object?)e.Target ?? DBNull.Value;
                parameters[8].Value = (object?)e.Backend ?? DBNull.Value;
                parameters[9].Value = e.Decision.ToString();
                parameters[10].Value = e.Status;
                parameters[11].Value = (object?)e.ErrorCode ?? DBNull.Value;
                parameters[12].Value = e.LatencyMs;
                parameters[13].Value = e.ResponseBytes;
                parameters[14].Value = (object?)e.ArgumentsSha256 ?? DBNull.Value;
                parameters[15].Value = (object?)e.Arguments ?? DBNull.Value;
                parameters[16].Value = (object?)e.Detail ?? DBNull.Value;
                inserted += await command.ExecuteNonQueryAsync(cancellationToken);
            }

            await transaction.CommitAsync(cancellationToken);
            return inserted;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public Task<AuditPage> QueryAsync(AuditFilter filter, AuditCursor? after, int limit, CancellationToken cancellationToken) =>
        _queries.QueryAsync(filter, after, limit, cancellationToken);

    public Task<AuditEvent?> FindAsync(Guid eventId, CancellationToken cancellationToken) =>
        _queries.FindAsync(eventId, cancellationToken);

    public IAsyncEnumerable<AuditEvent> ExportAsync(AuditFilter filter, CancellationToken cancellationToken) =>
        _queries.ExportAsync(filter, cancellationToken);

    public Task<AuditStats> StatsAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken) =>
        _queries.StatsAsync(from, to, cancellationToken);

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
            await AuditSchema.ExecuteAsync(connection, null, "PRAGMA busy_timeout = 5000; PRAGMA synchronous = FULL", cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}
