using System.Data.Common;
using Gateway.AuditService.Storage;
using Gateway.AuditService.Storage.Postgres;
using Gateway.AuditService.Tests.Infrastructure;

namespace Gateway.AuditService.Tests.Storage;

/// <summary>The store contract against a real PostgreSQL server started for this test class; a fresh database per test.</summary>
public sealed class PostgresAuditStoreTests(PostgresFixture server) : AuditStoreContract, IClassFixture<PostgresFixture>
{
    internal override async Task<IAuditStore> CreateStoreAsync() =>
        StorageExtensions.Create(await server.CreateDatabaseAsync(), TimeProvider.System);

    internal override AuditSchema.Types Types => AuditSchema.PostgresTypes;

    internal override Task<string> NewDatabaseAsync() => server.CreateDatabaseAsync();

    internal override DbConnection Connect(string connectionString) => new Npgsql.NpgsqlConnection(connectionString);

    [Fact]
    public void A_host_string_selects_postgresql() =>
        Assert.IsType<PostgresAuditStore>(StorageExtensions.Create("Host=127.0.0.1;Port=5432;Username=postgres;Database=audit", TimeProvider.System));

    [Fact]
    public async Task Replicas_migrating_at_once_create_the_schema_once()
    {
        var connectionString = await server.CreateDatabaseAsync();
        var stores = Enumerable.Range(0, 4).Select(_ => StorageExtensions.Create(connectionString, TimeProvider.System)).ToArray();

        await Task.WhenAll(stores.Select(s => s.MigrateAsync(default)));

        await stores[0].AppendAsync([SampleEvents.Call()], default);
        Assert.Single((await stores[3].Queries.QueryAsync(new AuditFilter(), null, 10, default)).Items);
        foreach (var store in stores)
        {
            await ((IAsyncDisposable)store).DisposeAsync();
        }
    }
}
