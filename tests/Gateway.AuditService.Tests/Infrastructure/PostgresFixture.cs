using Gateway.Testing.Aspire;
using Npgsql;

namespace Gateway.AuditService.Tests.Infrastructure;

/// <summary>
/// A real PostgreSQL server from the machine's binaries (the AppHost's <c>auditdb</c> with <c>--AppHost:AuditDb=postgres</c>,
/// started alone), shared by a test class; each test takes a fresh database from it.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private GatewayTestApp? _app;
    private string _admin = "";

    public async Task InitializeAsync()
    {
        _app = await (await GatewayAppBuilder.CreateAsync(args: "--AppHost:AuditDb=postgres")).Only("auditdb").StartAsync();
        var connectionString = await _app.GetConnectionStringAsync("auditdb")
            ?? throw new InvalidOperationException("auditdb has no connection string");
        _admin = new NpgsqlConnectionStringBuilder(connectionString) { Database = "postgres", Pooling = false }.ToString();
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "audit_" + Guid.NewGuid().ToString("N")[..12];
        await using var connection = new NpgsqlConnection(_admin);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(_admin) { Database = name, Pooling = true }.ToString();
    }
}
