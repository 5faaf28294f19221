extern alias apphost;

using apphost::Gateway.AppHost.Hosting;
using apphost::Gateway.AppHost.Testing;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace Gateway.AuditService.Tests.Infrastructure;

/// <summary>
/// A real PostgreSQL server from the machine's binaries (initdb into a temp folder, random port), started by the
/// AppHost's own launcher and shared by a test class; each test takes a fresh database from it.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    private DistributedApplication? _app;
    private string _admin = "";

    public async Task InitializeAsync()
    {
        _app = await GatewayTestingBuilder
            .Create(configuration => configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["AppHost:AuditDb"] = "postgres" }))
            .StartOnly("auditdb")
            .StartAsync();
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
