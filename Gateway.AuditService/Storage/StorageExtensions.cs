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
    /// content root. The schema is migrated on start, before the bus starts consuming.
    /// </summary>
    public static IHostApplicationBuilder AddAuditStorage(this IHostApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString(ConnectionName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            connectionString = $"Data Source={Path.Combine(builder.Environment.ContentRootPath, "audit.db")}";
        }

        builder.Services.AddSingleton<IAuditStore>(services => Create(connectionString, services.GetRequiredService<TimeProvider>()));
        builder.Services.AddHostedService<AuditStoreMigrator>();
        builder.Services.AddHealthChecks().AddCheck<AuditStoreHealthCheck>(ConnectionName);
        return builder;
    }

    internal static IAuditStore Create(string connectionString, TimeProvider time) =>
        IsPostgres(connectionString)
            ? new PostgresAuditStore(connectionString, time)
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
