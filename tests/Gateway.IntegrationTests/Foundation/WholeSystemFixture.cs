using Gateway.AppHost.Hosting;
using Gateway.AppHost.Testing;

namespace Gateway.IntegrationTests.Foundation;

/// <summary>
/// One started AppHost model shared by the tests of the "whole system" collection, so it starts once. The proxy runs
/// two replicas (<c>proxy</c>, <c>proxy-2</c>), as the circuit-breaker tests need.
/// </summary>
public sealed class WholeSystemFixture : IAsyncLifetime
{
    private DistributedApplication? _app;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("Not started.");

    public string AdminApiKey { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var builder = GatewayTestingBuilder.Create().WithReplicas("proxy", 2);
        AdminApiKey = builder.AdminApiKey;
        _app = await builder.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class WholeSystemTests : ICollectionFixture<WholeSystemFixture>
{
    public const string Name = "whole system";
}
