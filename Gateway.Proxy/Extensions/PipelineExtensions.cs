using Gateway.Proxy.Admin;
using Gateway.Proxy.Audit;
using Gateway.Proxy.Circuit;
using Gateway.Proxy.Pipeline;
using Gateway.Proxy.Pipeline.Access;
using Gateway.Proxy.Pipeline.KillSwitches;
using Gateway.Proxy.Pipeline.RateLimiting;
using Gateway.Proxy.Pipeline.Shutdown;
using Gateway.Proxy.Pipeline.TokenBudgets;
using Gateway.Proxy.Mcp;
using Gateway.Messaging;
using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Gateway.Proxy.Extensions;

/// <summary>
/// Wiring of the enforcement pipeline (kill switch, rate limit, RBAC, circuit gate, backend timeout, audit), its
/// admin API and its graceful shutdown. Redis and the bus are used when their connection strings are set; without
/// them the proxy still serves: kill switches live in memory, rate limits are per replica, audit events stay in
/// the spill folder.
/// </summary>
internal static class PipelineExtensions
{
    public static void AddEnforcementPipeline(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        // Redis and the bus are registered by AddApplicationServices when configured; without them the stages use
        // their local implementations.
        var hasRedis = builder.HasConnectionString(Extensions.RedisConnectionName);
        var hasBus = builder.HasConnectionString(MessagingExtensions.ConnectionName);

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<CircuitBreakerRegistry>();

        // Stages.
        services.AddOptions<KillSwitchOptions>().BindConfiguration(KillSwitchOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<PolicyOptions>().BindConfiguration(PolicyOptions.SectionName);
        services.AddOptions<RateLimitingOptions>().BindConfiguration(RateLimitingOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        if (hasRedis)
        {
            services.AddSingleton<IKillSwitchStore, RedisKillSwitchStore>();
            services.AddSingleton<RedisTokenBuckets>();
        }
        else
        {
            services.AddSingleton<IKillSwitchStore, InMemoryKillSwitchStore>();
        }

        services.AddSingleton<KillSwitchReassertion>();
        services.AddSingleton<KillSwitchState>();
        services.AddSingleton<KillSwitchCommands>();
        services.AddSingleton<CallRateLimiter>();
        services.AddSingleton<AccessPolicy>();
        services.AddSingleton<InFlightCalls>();
        services.AddSingleton<TokenBudget>();
        services.AddSingleton<PolicyStages>();
        services.AddSingleton<CallPipeline>();

        // Audit.
        services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => AuditSource.From(sp.GetRequiredService<IOptions<AuditOptions>>().Value));
        services.AddSingleton(sp => new AuditSpillFile(
            sp.GetRequiredService<IOptions<AuditOptions>>().Value.SpillDirectory ?? Path.Combine(Path.GetTempPath(), "gateway-audit-spill"),
            sp.GetRequiredService<AuditSource>().InstanceId,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<IOptions<AuditOptions>>().Value.SpillLimitBytes));
        services.AddSingleton(sp => new AuditJournal(
            sp.GetRequiredService<AuditSpillFile>(),
            sp.GetRequiredService<AuditSource>().InstanceId,
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new AuditBuffer(
            sp.GetRequiredService<IOptions<AuditOptions>>().Value.BufferCapacity,
            sp.GetRequiredService<AuditSpillFile>(),
            sp.GetRequiredService<IOptions<AuditOptions>>().Value.WriteAhead ? sp.GetRequiredService<AuditJournal>() : null));
        services.AddSingleton<AuditRecorder>();
        if (hasBus)
        {
            services.AddSingleton<IAuditTransport, BusAuditTransport>();
        }

        // Hosted services stop in reverse order: the drain (waits for in-flight calls) before the audit flush.
        services.AddSingleton<AuditPublisher>();
        services.AddHostedService(sp => sp.GetRequiredService<AuditPublisher>());
        services.AddHostedService(sp => sp.GetRequiredService<KillSwitchState>());
        services.AddHostedService<PipelineDrain>();
    }

    /// <summary>
    /// Re-reads the kill switches whenever any replica changes one, on a queue of this replica's own: a shared queue
    /// would tell one replica only. The bus owns the queue (declared, started, re-declared after a broker restart and
    /// stopped with the bus), so nothing here races the bus's own start or stop.
    /// </summary>
    public static void AddKillSwitchNotifications(this IBusRegistrationConfigurator bus, string instanceId) =>
        bus.AddConsumer<KillSwitchChangedConsumer>().Endpoint(e => e.PerInstance(instanceId));

    /// <summary>Maps the admin API (<c>/admin/kill-switches</c>), behind the admin policy.</summary>
    public static WebApplication MapAdminEndpoints(this WebApplication app)
    {
        app.MapKillSwitchEndpoints();
        return app;
    }
}
