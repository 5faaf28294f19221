using Gateway.Proxy.Backends;
using Gateway.Authentication.Upstream;
using Gateway.Proxy.Catalog;
using Gateway.Proxy.Mcp;
using Gateway.Proxy.Mcp.Dispatch;
using Gateway.Proxy.Mcp.Edge;
using Gateway.Proxy.Mcp.FanOut;
using Gateway.Proxy.Mcp.Http;
using Gateway.Proxy.Mcp.Lists;
using Gateway.Proxy.Mcp.Replication;
using Gateway.Proxy.Mcp.Routing;
using Gateway.Proxy.Mcp.Sessions;
using Gateway.Proxy.Pipeline;
using Gateway.Proxy.Stdio;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging.Console;

namespace Gateway.Proxy.Extensions;

/// <summary>Wiring of the MCP front end (HTTP and stdio), the backend sessions and the merged catalog.</summary>
internal static class McpExtensions
{
    public const string EndpointPath = "/mcp";

    public static IHostApplicationBuilder AddMcpGateway(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<McpOptions>()
            .Bind(builder.Configuration.GetSection(McpOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddOptions<EdgeOptions>()
            .Bind(builder.Configuration.GetSection(EdgeOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<McpEdge>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<CallPipeline>();
        services.AddSingleton<BackendEvents>();
        services.AddSingleton<ChildProcessLauncher>();
        services.AddSingleton<BackendConnections>();
        services.AddUpstreamCredentials();
        if (builder.HasConnectionString(Extensions.RedisConnectionName))
        {
            // Sessions shared by every replica: state in Redis, server-to-client traffic over its pub/sub.
            services.AddSingleton<SessionDirectory>();
            services.AddSingleton<SessionRelay>();
        }

        services.AddSingleton<McpSessionStore>();
        services.AddHostedService(sp => sp.GetRequiredService<McpSessionStore>());
        services.AddSingleton<CatalogCollisionReporter>();
        services.AddSingleton<CatalogService>();
        services.AddHealthChecks().AddCheck<CatalogNamesHealthCheck>(CatalogNamesHealthCheck.Name);
        services.AddHostedService(sp => sp.GetRequiredService<CatalogService>());
        services.AddSingleton<SessionHandshake>();
        services.AddSingleton<CatalogPages>();
        services.AddSingleton<RoutedCalls>();
        services.AddSingleton<ResourceSubscriptions>();
        services.AddSingleton<LogLevelFanOut>();
        services.AddSingleton<ClientSignals>();
        services.AddSingleton<McpDispatcher>();
        services.AddSingleton<HttpCallers>();
        services.AddSingleton<HttpSessions>();
        services.AddSingleton<BatchRequests>();
        services.AddSingleton<EventStreams>();
        services.AddSingleton<McpHttpEndpoint>();
        return builder;
    }

    /// <summary>
    /// <c>--stdio</c>: one client on stdin/stdout. stdout carries only protocol messages, so every log goes to
    /// stderr; the health endpoints still listen on the configured URLs.
    /// </summary>
    public static IHostApplicationBuilder AddMcpStdio(this IHostApplicationBuilder builder)
    {
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Services.AddOptions<StdioOptions>().Bind(builder.Configuration.GetSection(StdioOptions.SectionName));
        builder.Services.AddHostedService<StdioServer>();
        return builder;
    }

    /// <summary>
    /// Maps POST, GET and DELETE <c>/mcp</c>; other methods get 405 from routing. The endpoints are short-circuited:
    /// routing runs them at once, past the authentication and authorization middleware, because the endpoint
    /// authenticates each request itself and RBAC is the pipeline's. Those two middleware took about 9 µs of CPU per
    /// call on the bench's machine (bench/results/proxy-latency.md, round 7), and brought a request service scope
    /// with them; the endpoint is a singleton, resolved here once.
    /// </summary>
    public static WebApplication MapMcpEndpoint(this WebApplication app)
    {
        var endpoint = app.Services.GetRequiredService<McpHttpEndpoint>();
        app.MapPost(EndpointPath, endpoint.PostAsync).ShortCircuit();
        app.MapGet(EndpointPath, endpoint.GetAsync).ShortCircuit();
        app.MapDelete(EndpointPath, endpoint.DeleteAsync).ShortCircuit();
        return app;
    }
}
