using Gateway.Proxy.Circuit;
using Gateway.Messaging;
using MassTransit;
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
    /// This replica's id, <c>Gateway:Circuit:InstanceId</c>, generated once when not configured: outcome reports and
    /// the replica's own queues carry the same one. Call once per host.
    /// </summary>
    public static string ReplicaInstanceId(this IHostApplicationBuilder builder)
    {
        var instanceId = builder.Configuration[$"{CircuitSyncOptions.SectionName}:{nameof(CircuitSyncOptions.InstanceId)}"]
            ?? new CircuitSyncOptions().InstanceId;
        builder.Services.PostConfigure<CircuitSyncOptions>(options => options.InstanceId = instanceId);
        return instanceId;
    }

    /// <summary>
    /// Consumes the monitor's transitions on a queue of this replica's own (every replica applies every transition);
    /// the definition re-reads the snapshot each time that queue becomes ready.
    /// </summary>
    public static void AddCircuitTransitions(this IBusRegistrationConfigurator bus, string instanceId) =>
        bus.AddConsumer<CircuitTransitionConsumer, CircuitTransitionConsumerDefinition>().Endpoint(e => e.PerInstance(instanceId));

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
