namespace Gateway.Proxy.Tests.Fakes;

/// <summary>Files of the repository the tests need at run time (npm peers, the built proxy).</summary>
internal static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Peers => Path.Combine(Root, "peers");

    public static string NodeModules => Path.Combine(Peers, "node_modules");

    public static string ServerEverything => Path.Combine(NodeModules, "@modelcontextprotocol", "server-everything", "dist", "index.js");

    public static string Conformance => Path.Combine(NodeModules, "@modelcontextprotocol", "conformance", "dist", "index.js");

    public static string FakeStdioServer => Path.Combine(Peers, "fake-stdio-server.mjs");

    /// <summary>The proxy as built beside the tests (a project reference copies it with its runtimeconfig).</summary>
    public static string ProxyDll => Path.Combine(AppContext.BaseDirectory, "Gateway.Proxy.dll");

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Gateway.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Gateway.sln not found above " + AppContext.BaseDirectory);
    }
}
