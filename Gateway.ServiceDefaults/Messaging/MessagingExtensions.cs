using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Gateway.ServiceDefaults.Messaging;

/// <summary>Retry policy for every consumer of the service. Bound from <c>Gateway:Messaging</c>.</summary>
public sealed class MessagingOptions
{
    /// <summary>Immediate redeliveries in memory before a message goes to the error queue. Default: 3.</summary>
    public int RetryCount { get; set; } = 3;

    /// <summary>First retry interval; later ones grow exponentially up to <see cref="RetryMaxInterval"/>. Default: 200 ms.</summary>
    public TimeSpan RetryMinInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest retry interval. Default: 5 s.</summary>
    public TimeSpan RetryMaxInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Messages fetched ahead per consumer. Default: 0 (MassTransit's default).</summary>
    public int PrefetchCount { get; set; }
}

public static class MessagingExtensions
{
    public const string ConnectionName = "messaging";

    /// <summary>
    /// Registers MassTransit over RabbitMQ from <c>ConnectionStrings:messaging</c> (an AMQP URI), with kebab-case
    /// endpoint names, the configured retry policy and MassTransit's own bus health check. Debian's RabbitMQ has no
    /// delayed-exchange plugin, so retries are in-memory (<c>UseMessageRetry</c>), never delayed redelivery.
    /// </summary>
    public static TBuilder AddGatewayMessaging<TBuilder>(
        this TBuilder builder,
        Action<IBusRegistrationConfigurator>? configureConsumers = null,
        Action<IBusRegistrationContext, IRabbitMqBusFactoryConfigurator>? configureBus = null)
        where TBuilder : IHostApplicationBuilder
    {
        var connectionString = builder.Configuration.GetConnectionString(ConnectionName)
            ?? throw new InvalidOperationException($"ConnectionStrings:{ConnectionName} is not set.");
        var options = builder.Configuration.GetSection("Gateway:Messaging").Get<MessagingOptions>() ?? new MessagingOptions();

        builder.Services.AddMassTransit(bus =>
        {
            bus.SetKebabCaseEndpointNameFormatter();
            configureConsumers?.Invoke(bus);
            bus.UsingRabbitMq((context, rabbit) =>
            {
                rabbit.Host(new Uri(connectionString));
                // MassTransit writes indented JSON by default: a third more bytes for the broker to carry and for
                // every consumer to parse, on the audit stream above all.
                rabbit.ConfigureJsonSerializerOptions(json =>
                {
                    json.WriteIndented = false;
                    return json;
                });
                if (options.PrefetchCount > 0)
                {
                    rabbit.PrefetchCount = options.PrefetchCount;
                }

                rabbit.UseMessageRetry(retry => retry.Exponential(
                    options.RetryCount, options.RetryMinInterval, options.RetryMaxInterval, options.RetryMinInterval));
                configureBus?.Invoke(context, rabbit);
                rabbit.ConfigureEndpoints(context);
            });
        });
        builder.Services.AddOptions<MassTransitHostOptions>().Configure(host =>
        {
            // Never block start-up on the broker: the bus connects (and reconnects) in the background.
            host.WaitUntilStarted = false;
            host.StopTimeout = TimeSpan.FromSeconds(10);
        });
        return builder;
    }

    /// <summary>
    /// Gives a consumer a queue of this replica's own, named after <paramref name="instanceId"/> and deleted when the
    /// replica disconnects: every replica then receives every message, where a shared queue would hand each message
    /// to one of them. The bus declares, starts, re-declares after a broker restart and stops the queue with itself.
    /// </summary>
    public static void PerInstance(this IEndpointRegistrationConfigurator endpoint, string instanceId)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        endpoint.InstanceId = instanceId;
        endpoint.Temporary = true;
    }
}
