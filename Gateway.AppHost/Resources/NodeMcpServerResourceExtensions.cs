using Gateway.AppHost.Hosting;

namespace Gateway.AppHost.Resources;

public static class NodeMcpServerResourceExtensions
{
    /// <summary>Path of the official "everything" MCP server in the repository's npm peers.</summary>
    public const string EverythingServer = "peers/node_modules/@modelcontextprotocol/server-everything/dist/index.js";

    /// <summary>
    /// The official <c>@modelcontextprotocol/server-everything</c> in Streamable HTTP mode on a free loopback port
    /// (its <c>PORT</c> variable), serving <c>/mcp</c>. A demo backend: run locally, never published.
    /// </summary>
    public static ResourceBuilder AddEverythingMcpServer(this DistributedApplicationBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var script = Path.Combine(builder.RepositoryRoot, EverythingServer);
        var loopback = Path.Combine(builder.RepositoryRoot, "Gateway.AppHost", "Resources", "Node", "loopback-listen.cjs");
        return builder.AddResource(name, ResourceKind.Executable)
            .WithHttpEndpoint()
            .WithHealthCheck(new TcpHealthCheck("http"))
            .WithPrerequisite(() => DotNetHost.IsOnPath("node"), "Node.js is not installed: run `sudo apt-get install -y nodejs npm`, or `./gateway up`.")
            .WithPrerequisite(
                () => File.Exists(script),
                $"The npm peers are not installed ({script} not found): run `npm ci --prefix peers`, or `./gateway up`.")
            .WithLaunch(new ProcessLaunch("node", _ => ["--require", loopback, script, "streamableHttp"]))
            .WithEnvironment(context => context.Variables["PORT"] = context.Context.Port().ToString(System.Globalization.CultureInfo.InvariantCulture));
    }
}
