using Gateway.AuditService.Storage;
using Gateway.AuditService.Storage.Sqlite;
using Gateway.AuditService.Tests.Infrastructure;

namespace Gateway.AuditService.Tests.Storage;

public sealed class SqliteAuditStoreTests : AuditStoreContract, IDisposable
{
    private readonly TempDirectory _folder = new();

    internal override Task<IAuditStore> CreateStoreAsync() =>
        Task.FromResult(StorageExtensions.Create($"Data Source={_folder.File("audit.db")}", TimeProvider.System));

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void A_data_source_string_selects_sqlite() =>
        Assert.IsType<SqliteAuditStore>(StorageExtensions.Create($"Data Source={_folder.File("x.db")}", TimeProvider.System));

    [Fact]
    public async Task The_file_is_in_wal_mode_after_migration()
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={_folder.File("audit.db")}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";

        Assert.Equal("wal", (string?)await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task A_version_1_file_is_migrated_to_the_client_status_index_and_keeps_its_rows()
    {
        var path = _folder.File("v1.db");
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}"))
        {
            await connection.OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await AuditSchema.ExecuteAsync(connection, transaction,
                "CREATE TABLE audit_schema (version INTEGER NOT NULL PRIMARY KEY, description TEXT NOT NULL, applied_us INTEGER NOT NULL)", default);
            foreach (var statement in AuditSchema.Migrations(AuditSchema.SqliteTypes)[0].Statements)
            {
                await AuditSchema.ExecuteAsync(connection, transaction, statement, default);
            }

            await AuditSchema.ExecuteAsync(connection, transaction, "INSERT INTO audit_schema VALUES (1, 'v1', 0)", default);
            // A row written by a version 1 service, in version 1's columns.
            await AuditSchema.ExecuteAsync(connection, transaction,
                "INSERT INTO audit_events (event_id, ts_us, source, client_id, method, decision, status, latency_ms, response_bytes) " +
                $"VALUES ('{Guid.NewGuid()}', 1, 'proxy/test', 'alice', 'tools/call', 'Refused', 'circuit_open', 0, 0)", default);
            await transaction.CommitAsync();
        }

        var store = StorageExtensions.Create($"Data Source={path}", TimeProvider.System);
        await using var disposable = (IAsyncDisposable)store;
        await store.MigrateAsync(default);

        await using var check = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}");
        await check.OpenAsync();
        await using var command = check.CreateCommand();
        command.CommandText =
            "SELECT (SELECT MAX(version) FROM audit_schema) || ' ' || " +
            "(SELECT COUNT(*) FROM sqlite_master WHERE name = 'ix_audit_events_client_status')";
        Assert.Equal("3 1", (string?)await command.ExecuteScalarAsync());
        command.CommandText =
            "EXPLAIN QUERY PLAN SELECT * FROM audit_events WHERE client_id = 'alice' AND status = 'circuit_open' ORDER BY ts_us DESC";
        await using (var plan = await command.ExecuteReaderAsync())
        {
            Assert.True(await plan.ReadAsync());
            Assert.Equal("SEARCH audit_events USING INDEX ix_audit_events_client_status (client_id=? AND status=?)", plan.GetString(3));
        }

        Assert.Single((await store.Queries.QueryAsync(new AuditFilter { ClientId = "alice", Status = "circuit_open" }, null, 10, default)).Items);
    }
}
