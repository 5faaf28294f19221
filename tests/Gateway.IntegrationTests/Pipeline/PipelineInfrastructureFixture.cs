using Gateway.Testing.Aspire;
using MassTransit;
using StackExchange.Redis;

namespace Gateway.IntegrationTests.Pipeline;

/// <summary>
/// The AppHost's Garnet (<c>redis</c>) and RabbitMQ (<c>messaging</c>, with its epmd), started once for the pipeline
/// tests, which drive the proxy's Redis and bus adapters directly against them.
/// </summary>
public sealed class PipelineInfrastructureFixture : IAsyncLifetime
{
    private GatewayTestApp? _app;

    public GatewayTestApp App => _app ?? throw new InvalidOperationException("Not started.");

    public string RedisConnectionString { get; private set; } = "";

    public Uri MessagingUri { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _app = await (await GatewayAppBuilder.CreateAsync()).Only("redis", "messaging").StartAsync();
        RedisConnectionString = await _app.GetConnectionStringAsync("redis") ?? throw new InvalidOperationException("redis has no connection string");
        MessagingUri = new Uri(await _app.GetConnectionStringAsync("messaging") ?? throw new InvalidOperationException("messaging has no connection string"));
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    /// <summary>A new client connection, as a separate proxy replica would have.</summary>
    public ConnectionMultiplexer ConnectRedis()
    {
        var options = ConfigurationOptions.Parse(RedisConnectionString);
        options.AbortOnConnectFail = false;
        options.ConnectTimeout = 2_000;
        options.SyncTimeout = 2_000;
        return ConnectionMultiplexer.Connect(options);
    }

    /// <summary>A started bus, as a separate proxy replica would have; <paramref name="configure"/> adds receive endpoints.</summary>
    public async Task<IBusControl> StartBusAsync(Action<IRabbitMqBusFactoryConfigurator>? configure = null)
    {
        var bus = Bus.Factory.CreateUsingRabbitMq(rabbit =>
        {
            rabbit.Host(MessagingUri);
            configure?.Invoke(rabbit);
        });
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await bus.StartAsync(timeout.Token);
        return bus;
    }
}

[CollectionDefinition(Name)]
public sealed class PipelineInfrastructure : ICollectionFixture<PipelineInfrastructureFixture>
{
    public const string Name = "pipeline infrastructure";
}
