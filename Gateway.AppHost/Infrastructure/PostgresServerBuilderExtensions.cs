using System.Diagnostics;
using System.Globalization;
using Gateway.AppHost.Supervision;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Gateway.AppHost.Infrastructure;

public static class PostgresServerBuilderExtensions
{
    /// <summary>Debian's postgresql-15 binaries; <c>AppHost:Postgres:BinDirectory</c> overrides it.</summary>
    public const string DefaultBinDirectory = "/usr/lib/postgresql/15/bin";

    /// <summary>
    /// A PostgreSQL server from the machine's binaries: <c>initdb</c> into <paramref name="dataDirectory"/> on first
    /// start, <c>postgres</c> in the foreground on loopback with trust authentication (it is reachable from this
    /// machine only), as the <c>postgres</c> user when the AppHost runs as root since PostgreSQL refuses root. Healthy
    /// once it accepts connections and <paramref name="databaseName"/> exists (created on first check).
    /// </summary>
    public static IResourceBuilder<PostgresServerResource> AddPostgresServer(
        this IDistributedApplicationBuilder builder, string name, string dataDirectory, string databaseName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var bin = builder.Configuration["AppHost:Postgres:BinDirectory"] ?? DefaultBinDirectory;
        var asRoot = Environment.UserName == "root";
        var data = Path.Combine(dataDirectory, "data");
        var server = new PostgresServerResource(name, asRoot ? "runuser" : Path.Combine(bin, "postgres"), dataDirectory, databaseName);
        var postgres = builder.AddResource(server)
            .WithEndpoint(PostgresServerResource.PrimaryEndpointName, endpoint =>
            {
                endpoint.UriScheme = "tcp";
                endpoint.IsProxied = false;
                endpoint.TargetHost = "127.0.0.1";
            }, createIfNotExists: true)
            .WithArgs(context =>
            {
                if (asRoot)
                {
                    foreach (var argument in new[] { "-u", "postgres", "--", Path.Combine(bin, "postgres") })
                    {
                        context.Args.Add(argument);
                    }
                }

                context.Args.Add("-D");
                context.Args.Add(data);
                context.Args.Add("-h");
                context.Args.Add("127.0.0.1");
                context.Args.Add("-p");
                context.Args.Add(server.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
                context.Args.Add("-k");
                context.Args.Add(data);
            })
            .OnBeforeResourceStarted((_, _, cancellationToken) => InitializeAsync(bin, dataDirectory, data, asRoot, cancellationToken))
            .WithIconName("Database")
            .WithRestartOnCrash();
        return postgres.WithHealthCheck($"{name}_database", new DatabaseHealthCheck(bin, server));
    }

    private static async Task InitializeAsync(string bin, string dataDirectory, string data, bool asRoot, CancellationToken cancellationToken)
    {
        if (File.Exists(Path.Combine(data, "PG_VERSION")))
        {
            return;
        }

        Directory.CreateDirectory(data);
        if (asRoot && !OperatingSystem.IsWindows())
        {
            // The server runs as its own user: it must read its resource folder and own its data folder. A temporary
            // run folder is created 0700 (CreateTempSubdirectory): the postgres user may pass through it (search only,
            // not list it), or initdb cannot reach its data folder.
            File.SetUnixFileMode(dataDirectory, (UnixFileMode)0b111_101_101);
            var runFolder = Path.GetDirectoryName(dataDirectory)!;
            File.SetUnixFileMode(runFolder, File.GetUnixFileMode(runFolder) | UnixFileMode.OtherExecute);
            await RunAsync("chown", ["postgres:postgres", data], cancellationToken);
            await RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(bin, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-instructions"], cancellationToken);
        }
        else
        {
            await RunAsync(Path.Combine(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-instructions"], cancellationToken);
        }
    }

    internal static async Task<(int ExitCode, string Output)> RunAsync(string command, IEnumerable<string> arguments, CancellationToken cancellationToken, bool throwOnError = true)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{command} did not start");
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var text = (await output) + (await error);
        if (throwOnError && process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(command)} {string.Join(' ', start.ArgumentList)} failed: {text.Trim()}");
        }

        return (process.ExitCode, text);
    }

    /// <summary>Healthy once the server answers and the database exists; creates the database the first time the server answers.</summary>
    private sealed class DatabaseHealthCheck(string bin, PostgresServerResource server) : IHealthCheck
    {
        private bool _created;

        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            if (!server.PrimaryEndpoint.IsAllocated)
            {
                return HealthCheckResult.Unhealthy("no port yet");
            }

            var port = server.PrimaryEndpoint.Port.ToString(CultureInfo.InvariantCulture);
            string[] connection = ["-h", "127.0.0.1", "-p", port, "-U", PostgresServerResource.UserName];
            var ready = await RunAsync(Path.Combine(bin, "pg_isready"), connection, cancellationToken, throwOnError: false);
            if (ready.ExitCode != 0)
            {
                return HealthCheckResult.Unhealthy(ready.Output.Trim());
            }

            if (!_created)
            {
                var exists = await RunAsync(
                    Path.Combine(bin, "psql"),
                    [.. connection, "-tAc", $"SELECT 1 FROM pg_database WHERE datname = '{server.DatabaseName}'"],
                    cancellationToken);
                if (exists.Output.Trim() != "1")
                {
                    await RunAsync(Path.Combine(bin, "createdb"), [.. connection, server.DatabaseName], cancellationToken);
                }

                _created = true;
            }

            return HealthCheckResult.Healthy();
        }
    }
}
