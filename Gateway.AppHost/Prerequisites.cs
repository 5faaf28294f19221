using Gateway.AppHost.Backends;
using Gateway.AppHost.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace Gateway.AppHost;

/// <summary>
/// What the machine must have to run the model locally. Checked before anything starts: a missing one stops the
/// AppHost with one line saying what to install, instead of a resource failing later in a log nobody reads.
/// </summary>
public static class Prerequisites
{
    /// <summary>Writes one line per missing prerequisite to <paramref name="error"/>; true when nothing is missing.</summary>
    public static bool AreMet(IDistributedApplicationBuilder builder, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(error);
        if (builder.ExecutionContext.IsPublishMode)
        {
            return true;
        }

        var missing = Missing(builder.Configuration).ToList();
        foreach (var line in missing)
        {
            error.WriteLine($"error: {line}");
        }

        return missing.Count == 0;
    }

    private static IEnumerable<string> Missing(ConfigurationManager configuration)
    {
        var rabbit = configuration["AppHost:RabbitMQ:ServerPath"] ?? RabbitMQNodeBuilderExtensions.DefaultServerPath;
        if (!File.Exists(rabbit))
        {
            yield return $"RabbitMQ is not installed ({rabbit} not found): run `sudo apt-get install -y rabbitmq-server`, or `./gateway up`, which installs it.";
        }
        else if (!File.Exists(RabbitMQNodeBuilderExtensions.EpmdPath))
        {
            yield return $"Erlang's epmd is not installed ({RabbitMQNodeBuilderExtensions.EpmdPath} not found): run `sudo apt-get install -y rabbitmq-server`, which brings Erlang.";
        }

        var node = configuration["AppHost:NodePath"] ?? McpServerBuilderExtensions.DefaultNodeCommand;
        if (!IsOnPath(node))
        {
            yield return $"Node.js is not installed ({node} not found): run `sudo apt-get install -y nodejs npm` (Node 20 or newer), or `./gateway up`.";
        }
        else if (!File.Exists(Path.Combine(RepositoryRoot.Path, McpServerBuilderExtensions.EverythingServerScript)))
        {
            yield return $"The npm peers are not installed ({McpServerBuilderExtensions.EverythingServerScript} not found): run `npm ci --prefix peers`, or `./gateway up`.";
        }

        if (string.IsNullOrEmpty(configuration.GetConnectionString("redis")) && !File.Exists(Path.Combine(RepositoryRoot.Path, ".config", "dotnet-tools.json")))
        {
            yield return "The local tool manifest (.config/dotnet-tools.json) that brings Garnet is missing: run the AppHost from a complete clone.";
        }

        if (string.Equals(configuration["AppHost:AuditDb"], "postgres", StringComparison.OrdinalIgnoreCase))
        {
            var bin = configuration["AppHost:Postgres:BinDirectory"] ?? PostgresServerBuilderExtensions.DefaultBinDirectory;
            if (!File.Exists(Path.Combine(bin, "initdb")) || !File.Exists(Path.Combine(bin, "postgres")))
            {
                yield return $"PostgreSQL is not installed ({bin}/initdb not found): run `sudo apt-get install -y postgresql-15`, or use the default SQLite audit database.";
            }
        }
    }

    /// <summary>Whether <paramref name="command"/> is an existing path or found on PATH.</summary>
    private static bool IsOnPath(string command) =>
        command.Contains('/', StringComparison.Ordinal)
            ? File.Exists(command)
            : (Environment.GetEnvironmentVariable("PATH") ?? "")
                .Split(':', StringSplitOptions.RemoveEmptyEntries)
                .Any(directory => File.Exists(Path.Combine(directory, command)));
}
