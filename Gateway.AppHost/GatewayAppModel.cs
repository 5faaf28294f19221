using Gateway.AppHost.Hosting;
using Gateway.AppHost.Resources;

namespace Gateway.AppHost;

/// <summary>
/// The Gateway application model: declared once here, started by <c>Program.cs</c> and by the test builder, so
/// whole-system tests run exactly what <c>dotnet run --project Gateway.AppHost</c> runs.
/// </summary>
public sealed record GatewayAppModel(
    ResourceBuilder Redis,
    ResourceBuilder Messaging,
    ResourceBuilder AuditDb,
    ResourceBuilder Everything,
    GatewayConfigFile GatewayConfig,
    ResourceBuilder HealthMonitor,
    ResourceBuilder Audit,
    ResourceBuilder Proxy)
{
    /// <summary>Stable ports of the services when run with <c>dotnet run</c> (tests use free ports).</summary>
    public const int ProxyPort = 5080;
    public const int HealthMonitorPort = 5081;
    public const int AuditPort = 5082;

    /// <summary>
    /// Runtime settings of every proxy replica that only the process environment can carry. A gen0 budget of 32 MB
    /// instead of the default (about 2 MB on a 2-core VM): at 1,000 calls/s the proxy ran seven gen0 collections a
    /// second, each pausing every call in flight (70 ms of pauses in 8 s, up to 8.6 ms), against one every two
    /// seconds with the larger budget (5.5 ms in 7 s) for about 30 MB more working set (bench/results/proxy-latency.md).
    /// </summary>
    public static IReadOnlyDictionary<string, string> ProxyRuntimeEnvironment { get; } = new Dictionary<string, string>
    {
        ["DOTNET_GCgen0size"] = "0x2000000",
    };

    public static GatewayAppModel Define(DistributedApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        // An existing Redis when ConnectionStrings:redis is given; otherwise Garnet from the local tool manifest.
        var redis = builder.Configuration.GetConnectionString("redis") is { Length: > 0 } existing
            ? builder.AddConnectionString("redis", existing)
            : builder.AddGarnet("redis");
        var messaging = builder.AddRabbitMQ("messaging");
        var auditDb = builder.AddAuditDatabase("auditdb");

        var everything = builder.AddEverythingMcpServer("everything");
        var gatewayConfig = builder.AddGatewayConfig("gateway-config")
            .WithHttpBackend("everything", everything)
            .WithStdioBackend(
                "everything-stdio",
                "node",
                Path.Combine(builder.RepositoryRoot, NodeMcpServerResourceExtensions.EverythingServer),
                "stdio");

        var healthMonitor = builder.AddProject("healthmonitor", "Gateway.HealthMonitor/Gateway.HealthMonitor.csproj", HealthMonitorPort)
            .WithGatewayConfig(gatewayConfig)
            .WithReference(redis).WaitFor(redis)
            .WithReference(messaging).WaitFor(messaging)
            .WaitFor(everything);

        var audit = builder.AddProject("audit", "Gateway.AuditService/Gateway.AuditService.csproj", AuditPort)
            .WithGatewayConfig(gatewayConfig)
            .WithReference(messaging).WaitFor(messaging)
            .WithReference(auditDb).WaitFor(auditDb);

        var proxy = builder.AddProject("proxy", "Gateway.Proxy/Gateway.Proxy.csproj", ProxyPort)
            .WithExternalHttpEndpoints()
            .WithGatewayConfig(gatewayConfig)
            // Each replica spills undeliverable audit events to its own folder, replayed by that replica on restart.
            .WithEnvironment(context => context.Variables["Gateway__Audit__SpillDirectory"] =
                Path.Combine(context.Context.DataDirectory, "audit-spill"))
            .WithReference(redis).WaitFor(redis)
            .WithReference(messaging).WaitFor(messaging)
            .WithReference(healthMonitor)
            // The audit service declares the durable audit queue; until it exists the broker drops what is published.
            .WithReference(audit).WaitFor(audit)
            .WaitFor(everything);

        foreach (var (name, value) in ProxyRuntimeEnvironment)
        {
            proxy.WithEnvironment(name, value);
        }

        return new GatewayAppModel(redis, messaging, auditDb, everything, gatewayConfig, healthMonitor, audit, proxy);
    }
}
