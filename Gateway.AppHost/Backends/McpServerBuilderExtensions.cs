using Gateway.AppHost.Infrastructure;
using Gateway.AppHost.Supervision;

namespace Gateway.AppHost.Backends;

public static class McpServerBuilderExtensions
{
    /// <summary>The official "everything" MCP server in the repository's npm peers.</summary>
    /// <summary>Node.js, as found on PATH; <c>AppHost:NodePath</c> overrides it.</summary>
    public const string DefaultNodeCommand = "node";

    public const string EverythingServerScript = "peers/node_modules/@modelcontextprotocol/server-everything/dist/index.js";

    /// <summary>Preloaded into every demo MCP server: a server that calls listen(port) without a host would listen on every interface.</summary>
    private const string LoopbackPreload = "Gateway.AppHost/Backends/Node/loopback-listen.cjs";

    /// <summary>
    /// The official <c>@modelcontextprotocol/server-everything</c> in Streamable HTTP mode on a free loopback port (its
    /// <c>PORT</c> variable), serving <c>/mcp</c>. A demo backend: run locally, never published.
    /// </summary>
    public static IResourceBuilder<ExecutableResource> AddEverythingMcpServer(this IDistributedApplicationBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var root = RepositoryRoot.Path;
        var script = Path.Combine(root, EverythingServerScript);
        var node = builder.Configuration["AppHost:NodePath"] ?? DefaultNodeCommand;
        return builder.AddExecutable(name, node, root, "--require", Path.Combine(root, LoopbackPreload), script, "streamableHttp")
            .WithHttpEndpoint(env: "PORT", isProxied: false)
            .WithTcpHealthCheck("http")
            .WithIconName("Toolbox")
            .WithRestartOnCrash()
            .ExcludeFromManifest();
    }

    /// <summary>The command line of the same server over stdio, for a backend the proxy launches itself.</summary>
    public static (string Command, string[] Arguments) EverythingStdioCommand() =>
        ("node", [Path.Combine(RepositoryRoot.Path, EverythingServerScript), "stdio"]);
}
