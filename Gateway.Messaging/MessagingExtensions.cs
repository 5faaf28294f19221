using MassTransit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Gateway.Messaging;

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
}
