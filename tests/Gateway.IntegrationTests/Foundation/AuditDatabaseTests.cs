using System.Text.RegularExpressions;
using Gateway.AppHost.Infrastructure;
using Gateway.IntegrationTests.Support;
using Gateway.Testing.Aspire;

namespace Gateway.IntegrationTests.Foundation;

public sealed partial class AuditDatabaseTests
{
    [Fact]
    public async Task Postgres_mode_runs_a_private_server_with_the_audit_database_created()
    {
        var builder = await GatewayAppBuilder.CreateAsync(args: "--AppHost:AuditDb=postgres");
        await using var app = await builder.Only("auditdb").StartAsync();

        var connectionString = await app.GetConnectionStringAsync("auditdb");
        var port = PortOf().Match(connectionString!).Groups[1].Value;
        var (exitCode, output) = await CommandLine.RunAsync(
            Path.Combine(PostgresServerBuilderExtensions.DefaultBinDirectory, "psql"),
            ["-h", "127.0.0.1", "-p", port, "-U", "postgres", "-d", "audit", "-tAc", "SELECT current_database()"]);

        Assert.True(exitCode == 0, output);
        Assert.Equal("audit", output.Trim());
        Assert.Contains("Database=audit", connectionString, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"Port=(\d+)")]
    private static partial Regex PortOf();
}
