using Gateway.Contracts.Configuration;
using Gateway.ServiceDefaults.Health;
using Gateway.ServiceDefaults.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every Gateway service gets, in the shape of Aspire's ServiceDefaults: telemetry, health endpoints,
/// the gateway configuration file and a graceful-shutdown timeout. Redis and the bus are opt-in per service
/// (<c>AddGatewayRedis</c>, <c>AddGatewayMessaging</c>) because not every service talks to both.
/// </summary>
public static class Extensions
{
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.AddGatewayConfiguration();
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        builder.ConfigureShutdown();
        return builder;
    }

    /// <summary>Maps <c>/alive</c> (liveness: the process serves) and <c>/health</c> (readiness: every registered check).</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapGatewayHealthEndpoints();
        return app;
    }

    private static void ConfigureShutdown<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddOptions<HostOptions>()
            .Configure(options =>
            {
                // Gateway:ShutdownTimeout bounds how long in-flight work may drain after SIGTERM. Default: 30 s.
                var configured = builder.Configuration.GetValue<TimeSpan?>("Gateway:ShutdownTimeout");
                options.ShutdownTimeout = configured ?? TimeSpan.FromSeconds(30);
            });
    }
}
