using System.Security.Cryptography;
using Gateway.Testing.Aspire;

namespace Gateway.IntegrationTests.Foundation;

/// <summary>
/// The AppHost's whole model, started once for the tests of the "whole system" collection, with the Aspire dashboard
/// on (its telemetry API and its pages are part of what they check).
/// </summary>
public sealed class WholeSystemFixture : IAsyncLifetime
{
    private GatewayTestApp? _app;

    public GatewayTestApp App => _app ?? throw new InvalidOperationException("Not started.");

    /// <summary>The key of the dashboard's telemetry API (<c>AppHost:DashboardApiKey</c>).</summary>
    public string DashboardApiKey { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    public async Task InitializeAsync()
    {
        var builder = await GatewayAppBuilder.CreateAsync(dashboard: true, $"--AppHost:DashboardApiKey={DashboardApiKey}");
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
