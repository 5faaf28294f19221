using Gateway.ServiceDefaults.Authentication;
using Gateway.ServiceDefaults.Messaging;
using Gateway.ServiceDefaults.Redis;

namespace Gateway.Proxy.Extensions;

internal static class Extensions
{
    public static void AddApplicationServices(this IHostApplicationBuilder builder, bool stdio = false)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddInlineIo();
        builder.AddGatewayApiKeyAuthentication();

        // Redis and the bus are optional: without them the proxy serves on local state (in-memory kill switches,
        // per-replica rate limits, local breakers, audit kept in the spill folder). Registered before every
        // capability so the bus, a hosted service, stops after them and the audit flush can still publish.
        if (builder.HasConnectionString(RedisExtensions.ConnectionName))
        {
            builder.AddGatewayRedis();
        }

        if (builder.HasConnectionString(MessagingExtensions.ConnectionName))
        {
            var instanceId = builder.ReplicaInstanceId();
            builder.AddGatewayMessaging(bus =>
            {
                bus.AddKillSwitchNotifications(instanceId);
                bus.AddCircuitTransitions(instanceId);
            });
        }

        builder.AddMcpGateway();
        builder.AddEnforcementPipeline();
        builder.AddCircuitBreakers();
        if (stdio)
        {
            builder.AddMcpStdio();
        }
    }

    public static bool HasConnectionString(this IHostApplicationBuilder builder, string name) =>
        !string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(name));
}
