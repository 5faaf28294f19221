using Gateway.Proxy.Backends;
using Gateway.Proxy.Catalog;
using Gateway.Proxy.Mcp;
using Gateway.Proxy.Mcp.Http;
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
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<CallPipeline>();
        services.AddSingleton<BackendEvents>();
        services.AddSingleton<ChildProcessLauncher>();
        services.AddSingleton<BackendConnections>();
        services.AddSingleton<McpSessionStore>();
        services.AddHostedService(sp => sp.GetRequiredService<McpSessionStore>());
        services.AddSingleton<CatalogService>();
        services.AddHostedService(sp => sp.GetRequiredService<CatalogService>());
        services.AddSingleton<McpDispatcher>();
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

    /// <summary>Maps POST, GET and DELETE <c>/mcp</c>; other methods get 405 from routing.</summary>
    public static WebApplication MapMcpEndpoint(this WebApplication app)
    {
        app.MapPost(EndpointPath, (HttpContext http, McpHttpEndpoint endpoint) => endpoint.PostAsync(http));
        app.MapGet(EndpointPath, (HttpContext http, McpHttpEndpoint endpoint) => endpoint.GetAsync(http));
        app.MapDelete(EndpointPath, (HttpContext http, McpHttpEndpoint endpoint) => endpoint.DeleteAsync(http));
        return app;
    }
}
