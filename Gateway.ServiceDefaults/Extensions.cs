using Gateway.Contracts.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every Gateway service gets, in the shape of Aspire's ServiceDefaults template: OpenTelemetry, health checks
/// and endpoints, service discovery; plus the gateway configuration file and the graceful-shutdown timeout, which
/// every service needs too. Redis, the bus, the audit database and authentication are each service's own choice.
/// </summary>
public static class Extensions
{
    private const string HealthEndpointPath = "/health";
    private const string AlivenessEndpointPath = "/alive";

    /// <summary>
    /// The User-Agent of the AppHost's dashboard feed (GatewayAdminApi.FeedUserAgent), which reads the gateway's state twice a second: traced, its
    /// reads would bury every real call in the dashboard's traces. Its commands (isolate, kill switch) are traced.
    /// </summary>
    private const string DashboardFeedUserAgent = "Gateway.AppHost-state-feed";

    /// <summary>Tag of checks that only say the process is alive.</summary>
    private const string LiveTag = "live";

    /// <summary>Prefix of every ActivitySource and Meter the gateway's services own.</summary>
    private const string GatewayTelemetryPrefix = "Gateway.";

    /// <summary>ASP.NET Core's per-request log ("Request starting", "Request finished").</summary>
    private const string HostingDiagnosticsCategory = "Microsoft.AspNetCore.Hosting.Diagnostics";

    /// <summary>MassTransit's ActivitySource and Meter: the trace context rides the bus from the proxy to its consumers.</summary>
    private const string MassTransitTelemetryName = "MassTransit";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.AddGatewayConfiguration();
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.ConfigureShutdownTimeout();

        builder.Services.AddServiceDiscovery();
        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            // No standard resilience handler: the monitor's probes and the forwarder to the leader have their own
            // timeouts, and a retry would hide the very failures a probe exists to see. The proxy's backend calls
            // do not go through IHttpClientFactory at all (its breakers and timeouts own them).
            http.AddServiceDiscovery();
        });

        return builder;
    }

    /// <summary>
    /// Logs, metrics and traces to the OTLP endpoint the orchestrator names (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>; the
    /// AppHost points it at the dashboard). Without one nothing is set up: a tracer provider with no exporter still
    /// samples every request in and every backend call out (two recorded activities, their tags and a diagnostic
    /// listener per call) and a meter provider still records every request, work that nobody reads. Nor, unless
    /// <c>Logging:LogLevel:Microsoft.AspNetCore.Hosting.Diagnostics</c> is configured, does ASP.NET Core log each
    /// request: while that category logs at any level it starts an activity and a logging scope for every request,
    /// and HttpClient then starts a second activity and writes <c>traceparent</c> on every call out. With an
    /// endpoint, tracing listens, so trace context flows from the request in to every call out.
    /// </summary>
    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        if (string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            if (builder.Configuration[$"Logging:LogLevel:{HostingDiagnosticsCategory}"] is null)
            {
                builder.Logging.AddFilter(HostingDiagnosticsCategory, LogLevel.None);
            }

            return builder;
        }

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(MassTransitTelemetryName, GatewayTelemetryPrefix + "*"))
            .WithTracing(tracing => tracing
                .AddSource(MassTransitTelemetryName, GatewayTelemetryPrefix + "*")
                // Orchestrators probe these every few seconds; traced, they would drown the real calls.
                .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.Filter = context => !IsHealthRequest(context.Request.Path) && !IsDashboardFeedRead(context.Request))
                .AddHttpClientInstrumentation())
            .UseOtlpExporter();
        return builder;
    }

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);
        return builder;
    }

    /// <summary>
    /// Maps <c>/alive</c> (liveness: the process serves) and <c>/health</c> (readiness: every registered check), as
    /// JSON. Unlike the template, in every environment: the AppHost, the tests and a container platform's probes all
    /// use them.
    /// </summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks(HealthEndpointPath, new HealthCheckOptions
        {
            ResponseWriter = HealthReportJsonWriter.WriteAsync,
        });
        app.MapHealthChecks(AlivenessEndpointPath, new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(LiveTag),
            ResponseWriter = HealthReportJsonWriter.WriteAsync,
        });
        return app;
    }

    private static bool IsDashboardFeedRead(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) && request.Headers.UserAgent.ToString() == DashboardFeedUserAgent;

    private static bool IsHealthRequest(PathString path) =>
        path.StartsWithSegments(HealthEndpointPath, StringComparison.OrdinalIgnoreCase)
        || path.StartsWithSegments(AlivenessEndpointPath, StringComparison.OrdinalIgnoreCase);

    /// <summary><c>Gateway:ShutdownTimeout</c> bounds how long in-flight work may drain after SIGTERM. Default: 30 s.</summary>
    private static void ConfigureShutdownTimeout<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOptions<HostOptions>().Configure(options =>
            options.ShutdownTimeout = builder.Configuration.GetValue<TimeSpan?>("Gateway:ShutdownTimeout") ?? TimeSpan.FromSeconds(30));
    }
}
