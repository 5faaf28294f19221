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
}
