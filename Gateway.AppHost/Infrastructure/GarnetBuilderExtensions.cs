using Gateway.AppHost.Supervision;
using Microsoft.Extensions.Configuration;
using System.Text.Json;

namespace Gateway.AppHost.Infrastructure;

public static class GarnetBuilderExtensions
{
    /// <summary>
    /// The gateway's Redis under <paramref name="name"/>: an existing Redis when <c>ConnectionStrings:{name}</c> is
    /// configured; when publishing, a Redis container; otherwise Garnet on loopback (see <see cref="AddGarnet"/>).
    /// </summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddGatewayRedis(this IDistributedApplicationBuilder builder, string name, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.Configuration.GetConnectionString(name) is { Length: > 0 })
        {
            return builder.AddConnectionString(name);
        }

        return builder.ExecutionContext.IsPublishMode
            ? builder.AddRedis(name)
            : builder.AddGarnet(name, dataDirectory);
    }

    /// <summary>
    /// Garnet from the local tool manifest (<c>.config/dotnet-tools.json</c>, restored by <c>./gateway</c>) on a free
    /// loopback port, with Lua scripts run as transactions (leader lease, fenced sequence, token buckets must be
    /// atomic) and every write in an append-only file under <paramref name="dataDirectory"/>, recovered on start: a
    /// restarted Garnet still holds the kill switches, overrides and breaker snapshot it held before.
    /// </summary>
    public static IResourceBuilder<GarnetResource> AddGarnet(this IDistributedApplicationBuilder builder, string name, string dataDirectory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var root = RepositoryRoot.Path;
        var garnet = new GarnetResource(name, "dotnet", root);
        return builder.AddResource(garnet)
            .WithEndpoint(GarnetResource.PrimaryEndpointName, endpoint =>
            {
                endpoint.UriScheme = "tcp";
                endpoint.Protocol = System.Net.Sockets.ProtocolType.Tcp;
                endpoint.IsProxied = false;
                endpoint.TargetHost = "127.0.0.1";
            })
            .WithArgs(context =>
            {
                foreach (var argument in ServerCommand(root))
                {
                    context.Args.Add(argument);
                }

                context.Args.Add("--port");
                context.Args.Add(garnet.PrimaryEndpoint.Property(EndpointProperty.TargetPort));
                context.Args.Add("--bind");
                context.Args.Add("127.0.0.1");
                context.Args.Add("--lua");
                context.Args.Add("--lua-transaction-mode");
                // Garnet reserves 16 GB of log memory by default; a gateway's state needs a sliver of that.
                context.Args.Add("--memory");
                context.Args.Add("256m");
                context.Args.Add("--index");
                context.Args.Add("16m");
                // Small log pages, so the append-only file (whose pages must be twice a log page, its memory twice that) stays small too.
                context.Args.Add("--page");
                context.Args.Add("2m");
                context.Args.Add("--aof");
                context.Args.Add("--aof-page-size");
                context.Args.Add("4m");
                context.Args.Add("--aof-memory");
                context.Args.Add("16m");
                context.Args.Add("--recover");
                // .NET file I/O: the native device needs libaio, which Debian 12 does not install by default.
                context.Args.Add("--device-type");
                context.Args.Add("RandomAccess");
                context.Args.Add("--checkpointdir");
                context.Args.Add(dataDirectory);
            })
            .WithTcpHealthCheck(GarnetResource.PrimaryEndpointName)
            .WithRestartOnCrash()
            .WithIconName("Database");
    }

    /// <summary>
    /// <c>dotnet tool run garnet-server</c> resolves the tool and then stays resident as the parent of
    /// <c>dotnet GarnetServer.dll</c> (about 60 MB, and a PID that is not the server's); the restored dll is the same
    /// server without the middleman. The tool command remains the fallback until the tool is restored.
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
