using System.Globalization;
using System.Text.Json.Nodes;
using Gateway.AppHost.Hosting;
using Gateway.AppHost.Publishing;
using Gateway.AppHost.Orchestration;

namespace Gateway.AppHost.Resources;

public static class AuditDatabaseResourceExtensions
{
    /// <summary>Default folder of the machine's PostgreSQL binaries (Debian's postgresql-15).</summary>
    public const string DefaultPostgresBinDirectory = "/usr/lib/postgresql/15/bin";

    /// <summary>
    /// The audit database: a SQLite file in the run folder by default, or a private PostgreSQL server when
    /// <c>AppHost:AuditDb=postgres</c>.
    /// </summary>
    public static ResourceBuilder AddAuditDatabase(this DistributedApplicationBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return string.Equals(builder.Configuration["AppHost:AuditDb"], "postgres", StringComparison.OrdinalIgnoreCase)
            ? builder.AddPostgres(name, database: "audit")
            : builder.AddSqlite(name, file: "audit.db");
    }

    /// <summary>A SQLite database file under the resource's folder: <c>Data Source={run}/{name}/{file}</c>. Nothing runs.</summary>
    public static ResourceBuilder AddSqlite(this DistributedApplicationBuilder builder, string name, string file)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddResource(name, ResourceKind.Value)
            .WithConnectionString(context => $"Data Source={Path.Combine(context.DataDirectory, file)}")
            .WithManifest(_ => new JsonObject { ["type"] = "value.v0", ["connectionString"] = $"Data Source=/data/{file}" });
    }

    /// <summary>
    /// A private PostgreSQL server from the machine's binaries (<c>AppHost:Postgres:BinDirectory</c>): <c>initdb</c>
    /// into the run folder, <c>postgres</c> in the foreground on loopback (as the <c>postgres</c> user when the AppHost
    /// runs as root, since PostgreSQL refuses root), healthy when <c>pg_isready</c> passes, with the database created.
    /// </summary>
    public static ResourceBuilder AddPostgres(this DistributedApplicationBuilder builder, string name, string database)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var bin = builder.Configuration["AppHost:Postgres:BinDirectory"] ?? DefaultPostgresBinDirectory;
        var asRoot = Environment.UserName == "root";
        string[] AsServerUser(string executable, params string[] arguments) =>
            asRoot ? ["-u", "postgres", "--", Path.Combine(bin, executable), .. arguments] : [.. arguments];
        var launcher = asRoot ? "runuser" : Path.Combine(bin, "postgres");

        var resource = builder.AddResource(name, ResourceKind.Container)
            .WithTcpEndpoint()
            .WithConnectionString(context => $"Host=127.0.0.1;Port={context.Port("tcp")};Username=postgres;Database={database}")
            .WithPrerequisite(
                () => File.Exists(Path.Combine(bin, "initdb")) && File.Exists(Path.Combine(bin, "postgres")),
                $"PostgreSQL is not installed ({bin}/initdb not found): run `sudo apt-get install -y postgresql-15`, or use the default SQLite audit database.")
            .WithHealthCheck(new CommandHealthCheck(
                Path.Combine(bin, "pg_isready"),
                context => ["-h", "127.0.0.1", "-p", context.Port("tcp").ToString(CultureInfo.InvariantCulture), "-U", "postgres"]))
            .WithBeforeStart(async (context, cancellationToken) =>
            {
                var data = Path.Combine(context.DataDirectory, "data");
                if (asRoot && !OperatingSystem.IsWindows())
                {
                    // PostgreSQL runs as its own user: it must reach the run folder and own its data folder.
                    foreach (var folder in new[] { context.Layout.RunDirectory, context.DataDirectory })
                    {
                        File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101);
                    }

                    Directory.CreateDirectory(data);
                    await RunAsync("chown", ["postgres:postgres", data], cancellationToken);
                }

                await RunAsync(launcher, AsServerUser("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-instructions"), cancellationToken);
            })
            .WithLaunch(new ProcessLaunch(
                launcher,
                context => AsServerUser(
                    "postgres",
                    "-D", Path.Combine(context.DataDirectory, "data"),
                    "-h", "127.0.0.1",
                    "-p", context.Port("tcp").ToString(CultureInfo.InvariantCulture),
                    "-k", Path.Combine(context.DataDirectory, "data"))))
            .WithAfterReady(async (context, cancellationToken) =>
            {
                var port = context.Port("tcp").ToString(CultureInfo.InvariantCulture);
                var exists = await CommandRunner.RunAsync(
                    Path.Combine(bin, "psql"),
                    ["-h", "127.0.0.1", "-p", port, "-U", "postgres", "-tAc", $"SELECT 1 FROM pg_database WHERE datname = '{database}'"],
                    TimeSpan.FromSeconds(30),
                    cancellationToken: cancellationToken);
                if (exists.ExitCode != 0 || exists.Output.Trim() != "1")
                {
                    await RunAsync(Path.Combine(bin, "createdb"), ["-h", "127.0.0.1", "-p", port, "-U", "postgres", database], cancellationToken);
                }
            })
            // SIGINT is PostgreSQL's fast shutdown: it aborts sessions and stops cleanly; SIGTERM waits for clients.
            .WithStopSignal(Signals.Interrupt);
        return resource.WithManifest(context =>
        {
            var password = context.Parameter($"{name}-password", secret: true, generatedLength: 22);
            return new JsonObject
            {
                ["type"] = "container.v0",
                ["connectionString"] = $"Host={{{name}.bindings.tcp.host}};Port={{{name}.bindings.tcp.port}};Username=postgres;Password={password};Database={database}",
                ["image"] = "docker.io/library/postgres:15",
                ["env"] = new JsonObject { ["POSTGRES_PASSWORD"] = password, ["POSTGRES_DB"] = database },
                ["bindings"] = ManifestContext.Bindings(resource.Resource, targetPort: 5432),
            };
        });
    }

    private static async Task RunAsync(string command, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var result = await CommandRunner.RunAsync(command, arguments, TimeSpan.FromMinutes(2), cancellationToken: cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new AppHostException($"{Path.GetFileName(command)} {string.Join(' ', arguments)} failed: {result.Output.Trim()}");
        }
    }
}
