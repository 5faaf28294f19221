using Gateway.Authentication;
using Gateway.Messaging;

namespace Gateway.Proxy.Extensions;

internal static class Extensions
{
    /// <summary>The connection string (and the AppHost resource) the proxy's Redis is found under.</summary>
    public const string RedisConnectionName = "redis";

    public static void AddApplicationServices(this IHostApplicationBuilder builder, bool stdio = false)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddInlineIo();
        builder.AddGatewayAuthentication();

        // Redis and the bus are optional: without them the proxy serves on local state (in-memory kill switches,
        // per-replica rate limits, local breakers, audit kept in the spill folder). Registered before every
        // capability so the bus, a hosted service, stops after them and the audit flush can still publish.
        if (builder.HasConnectionString(RedisConnectionName))
        {
            builder.AddRedisClient(
                RedisConnectionName,
                settings =>
                {
                    settings.DisableAutoActivation = true;
                    // Every lease renewal, snapshot poll and token bucket would be a root span of its own: dozens of traces a
                    // second that bury the calls in the dashboard, and a profiler session on every command of the hot path.
                    settings.DisableTracing = true;
                },
                options =>
                {
                    // Start-up never waits for Redis: the client keeps reconnecting in the background while callers
                    // see RedisConnectionExceptions, and the stages fall back to their local state meanwhile. Short
                    // timeouts, so a call on a dead connection fails fast instead of holding a request.
                    options.AbortOnConnectFail = false;
                    options.ConnectRetry = Math.Max(options.ConnectRetry, 3);
                    options.ConnectTimeout = Math.Min(options.ConnectTimeout, 2_000);
                    options.SyncTimeout = Math.Min(options.SyncTimeout, 2_000);
                });
        }

        if (builder.HasConnectionString(MessagingExtensions.ConnectionName))
        {
            var instanceId = builder.ReplicaInstanceId();
            builder.AddGatewayMessaging(bus =>
            {
                bus.AddKillSwitchNotifications(instanceId);
                bus.AddCircuitTransitions(instanceId);
                bus.AddProviderThrottles(instanceId);
            });
        }

        builder.AddMcpGateway();
        builder.AddEnforcementPipeline();
        builder.AddCircuitBreakers();
        builder.AddLlmGateway();
        if (stdio)
        {
            builder.AddMcpStdio();
        }
    }

    public static bool HasConnectionString(this IHostApplicationBuilder builder, string name) =>
        !string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(name));
}
