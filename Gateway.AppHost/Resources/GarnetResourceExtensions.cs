using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.AppHost.Hosting;
using Gateway.AppHost.Publishing;
using Gateway.AppHost.Orchestration;

namespace Gateway.AppHost.Resources;

public static class GarnetResourceExtensions
{
    /// <summary>
    /// A Redis-protocol server: Garnet from the repository's local tool manifest (restored on first use) with Lua
    /// enabled, on a free loopback port. Connection string <c>127.0.0.1:{port}</c>.
    /// Published as the Garnet container image.
    /// </summary>
    public static ResourceBuilder AddGarnet(this DistributedApplicationBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var root = builder.RepositoryRoot;
        var resource = builder.AddResource(name, ResourceKind.Container)
            .WithTcpEndpoint()
            .WithHealthCheck(new TcpHealthCheck("tcp"))
            .WithConnectionString(context => $"127.0.0.1:{context.Port("tcp")}")
            .WithPrerequisite(
                () => File.Exists(Path.Combine(root, ".config", "dotnet-tools.json")),
                $"The local tool manifest {root}/.config/dotnet-tools.json is missing: run the AppHost from a complete clone.")
            .WithBeforeStart((_, cancellationToken) => RestoreToolIfMissingAsync(root, cancellationToken))
            .WithLaunch(new ProcessLaunch(
                DotNetHost.Path,
                context =>
                [
                    .. ServerCommand(root),
                    "--port", context.Port("tcp").ToString(System.Globalization.CultureInfo.InvariantCulture),
                    "--bind", "127.0.0.1",
                    "--lua",
                    // Scripts (leader lease, fenced sequence + snapshot, token buckets) must run atomically.
                    "--lua-transaction-mode",
                    // Garnet reserves 16 GB of log memory by default; a local gateway needs a sliver of that.
                    "--memory", "256m",
                    "--index", "16m",
                ],
                _ => root));
        return resource.WithManifest(_ => new JsonObject
        {
            ["type"] = "container.v0",
            ["connectionString"] = $"{{{name}.bindings.tcp.host}}:{{{name}.bindings.tcp.port}}",
            ["image"] = "ghcr.io/microsoft/garnet:1.0",
            ["args"] = new JsonArray("--lua", "--lua-transaction-mode"),
            ["bindings"] = ManifestContext.Bindings(resource.Resource, targetPort: 6379),
        });
    }

    /// <summary>
    /// An existing Redis named by <c>ConnectionStrings:{name}</c>: nothing is started, references receive the
    /// connection string as given. Published as a connection-string parameter.
    /// </summary>
    public static ResourceBuilder AddConnectionString(this DistributedApplicationBuilder builder, string name, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var resource = builder.AddResource(name, ResourceKind.Value).WithConnectionString(_ => connectionString);
        return resource.WithManifest(context =>
        {
            context.Parameter(name, secret: true);
            return new JsonObject { ["type"] = "value.v0", ["connectionString"] = $"{{{name}.value}}" };
        });
    }

    private static async Task RestoreToolIfMissingAsync(string root, CancellationToken cancellationToken)
    {
        if (IsToolRestored(root))
        {
            return;
        }

        var result = await CommandRunner.RunAsync(DotNetHost.Path, ["tool", "restore"], TimeSpan.FromMinutes(3), root, cancellationToken);
        if (result.ExitCode != 0)
        {
            throw new AppHostException($"`dotnet tool restore` failed in {root} (Garnet is a local .NET tool): {result.Output.Trim()}");
        }
    }

    /// <summary>Whether the manifest's garnet-server version is in the NuGet package folder, which is all <c>dotnet tool run</c> needs.</summary>
    private static bool IsToolRestored(string root) => Directory.Exists(PackageDirectory(root));

    /// <summary>
    /// <c>dotnet tool run garnet-server</c> only resolves the tool and then runs <c>dotnet GarnetServer.dll</c> as its
    /// child, staying resident (about 60 MB and a second of CPU per start); running the restored dll directly is the
    /// same server without the middleman. The tool command remains the fallback if the package layout differs.
    /// </summary>
    private static string[] ServerCommand(string root)
    {
        var tools = Path.Combine(PackageDirectory(root), "tools");
        // A .NET tool package holds tools/<framework>/any/<entry point>; take the newest framework.
        var dll = Directory.Exists(tools)
            ? Directory.EnumerateDirectories(tools)
                .Order(StringComparer.Ordinal)
                .Select(framework => Path.Combine(framework, "any", "GarnetServer.dll"))
                .LastOrDefault(File.Exists)
            : null;
        return dll is not null ? [dll] : ["tool", "run", "garnet-server", "--"];
    }

    private static string PackageDirectory(string root)
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, ".config", "dotnet-tools.json")));
        var version = manifest.RootElement.GetProperty("tools").GetProperty("garnet-server").GetProperty("version").GetString() ?? "";
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        return Path.Combine(packages, "garnet-server", version);
    }
}
