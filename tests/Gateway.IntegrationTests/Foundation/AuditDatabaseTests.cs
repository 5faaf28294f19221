using System.Text.RegularExpressions;
using Gateway.AppHost.Hosting;
using Gateway.AppHost.Resources;
using Gateway.AppHost.Testing;
using Microsoft.Extensions.Configuration;

namespace Gateway.IntegrationTests.Foundation;

public sealed partial class AuditDatabaseTests
{
    [Fact]
    public async Task Postgres_mode_starts_a_private_server_with_the_audit_database_created()
    {
        var builder = GatewayTestingBuilder.Create(configuration => configuration.AddInMemoryCollection(
            new Dictionary<string, string?> { ["AppHost:AuditDb"] = "postgres" })).StartOnly("auditdb");
        await using var app = await builder.StartAsync();

        var connectionString = await app.GetConnectionStringAsync("auditdb");
        var port = PortOf().Match(connectionString!).Groups[1].Value;
        var result = await CommandRunner.RunAsync(
            Path.Combine(AuditDatabaseResourceExtensions.DefaultPostgresBinDirectory, "psql"),
            ["-h", "127.0.0.1", "-p", port, "-U", "postgres", "-d", "audit", "-tAc", "SELECT current_database()"],
            TimeSpan.FromMinutes(1));

        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Equal("audit", result.Output.Trim());
        Assert.Contains("Database=audit", connectionString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sqlite_is_the_default_audit_database_as_a_file_in_the_run_folder()
    {
        await using var app = GatewayTestingBuilder.Create().StartOnly("auditdb").Build();

        var connectionString = await app.GetConnectionStringAsync("auditdb");

        Assert.Equal($"Data Source={Path.Combine(app.Layout.RunDirectory, "auditdb", "audit.db")}", connectionString);
    }

    [GeneratedRegex(@"Port=(\d+)")]
    private static partial Regex PortOf();
}
