using Gateway.AuditService.Storage.Postgres;
using Gateway.AuditService.Storage.Sqlite;
using Npgsql;

namespace Gateway.AuditService.Storage;

internal static class StorageExtensions
{
    public const string ConnectionName = "auditdb";

    /// <summary>
    /// Registers the audit store named by <c>ConnectionStrings:auditdb</c>: an Npgsql string (<c>Host=...</c>) selects
    /// PostgreSQL, a SQLite string (<c>Data Source=...</c>) selects SQLite. Default: SQLite in <c>audit.db</c> under the
    /// content root. The schema is migrated on start, before the bus starts consuming. PostgreSQL goes through Aspire's
    /// Npgsql client: the data source from <c>ConnectionStrings:auditdb</c>, with Npgsql's traces and metrics.
    /// </summary>
    public static IHostApplicationBuilder AddAuditStorage(this IHostApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString(ConnectionName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            connectionString = $"Data Source={Path.Combine(builder.Environment.ContentRootPath, "audit.db")}";
        }

        if (IsPostgres(connectionString))
        {
            // Aspire's own PostgreSQL check is off: AuditStoreHealthCheck below answers for either engine, under one name.
            builder.AddNpgsqlDataSource(ConnectionName, settings => settings.DisableHealthChecks = true);
            builder.Services.AddSingleton<IAuditStore>(services => new PostgresAuditStore(
                services.GetRequiredService<NpgsqlDataSource>(), services.GetRequiredService<TimeProvider>()));
        }
        else
        {
            builder.Services.AddSingleton<IAuditStore>(services => new SqliteAuditStore(connectionString, services.GetRequiredService<TimeProvider>()));
        }

        builder.Services.AddHostedService<AuditStoreMigrator>();
        builder.Services.AddHealthChecks().AddCheck<AuditStoreHealthCheck>(ConnectionName);
        return builder;
    }

    /// <summary>A store of its own, outside a host (tests, benchmarks): it disposes what it opened.</summary>
    internal static IAuditStore Create(string connectionString, TimeProvider time) =>
        IsPostgres(connectionString)
            ? new PostgresAuditStore(NpgsqlDataSource.Create(connectionString), time)
            : new SqliteAuditStore(connectionString, time);

    private static bool IsPostgres(string connectionString)
    {
        try
        {
            return !string.IsNullOrEmpty(new NpgsqlConnectionStringBuilder(connectionString).Host);
        }
        catch (ArgumentException)
        {
            // "Data Source" is not an Npgsql keyword, so a SQLite string lands here.
            return false;
        }
    }
}
