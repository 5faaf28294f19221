using Gateway.Proxy.Circuit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Gateway.Proxy.Extensions;

/// <summary>Wiring of the circuit gate: local breakers, the monitor link, outcome reports, <c>/ready</c>.</summary>
internal static class CircuitExtensions
{
    public const string ReadyPath = "/ready";

    /// <summary>
    /// Registers the breaker registry, the link to the monitor (snapshot reads, the per-instance transition queue)
    /// and the outcome reporter. Redis and the bus are used when their connection strings are set; without them the
    /// gate runs on local breakers alone and <c>/health</c> says so.
    /// </summary>
    public static IHostApplicationBuilder AddCircuitBreakers(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<CircuitSyncOptions>()
            .Bind(builder.Configuration.GetSection(CircuitSyncOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<CircuitBreakerRegistry>();
        builder.Services.AddSingleton<CircuitSyncStatus>();
        builder.Services.AddSingleton<CircuitPropagation>();
        builder.Services.AddSingleton<CircuitStateSync>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<CircuitStateSync>());
        builder.Services.AddHostedService<OutcomeReporter>();
        builder.Services.AddHealthChecks().AddCheck<CircuitGateHealthCheck>("circuit-gate");
        builder.Services.PostConfigure<HealthCheckServiceOptions>(DependencyHealthCheck.Degrade);
        return builder;
    }

    /// <summary>
    /// Maps <c>/ready</c>: 200 while at least one backend is routable, 503 when none is (or none is configured), with
    /// each backend's state in the body.
    /// </summary>
    public static IEndpointRouteBuilder MapCircuitEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(ReadyPath, (CircuitBreakerRegistry registry) =>
        {
            var states = registry.Circuits.ToDictionary(c => c.Name, c => c.State.ToString());
            var ready = registry.Circuits.Any(c => CircuitGateHealthCheck.IsRoutable(c.State));
            return Results.Json(
                new { status = ready ? "ready" : "unavailable", backends = states },
                statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
        return endpoints;
    }
}
