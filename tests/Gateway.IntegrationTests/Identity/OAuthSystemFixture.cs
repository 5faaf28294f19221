using Aspire.Hosting.Testing;
using Gateway.Testing.Aspire;

namespace Gateway.IntegrationTests.Identity;

/// <summary>
/// The whole model with the demo authorization server (the <c>identity</c> resource), its user password and the agent's
/// secret fixed by the test, started once for the OAuth tests.
/// </summary>
public sealed class OAuthSystemFixture : IAsyncLifetime
{
    private GatewayTestApp? _app;

    public GatewayTestApp App => _app ?? throw new InvalidOperationException("Not started.");

    public string UserPassword { get; } = "pw-" + Guid.NewGuid().ToString("N");

    public string AgentSecret { get; } = "agent-" + Guid.NewGuid().ToString("N");

    /// <summary>The proxy's <c>/mcp</c> URL: the resource URI tokens are issued for.</summary>
    public Uri McpUrl => new(App.App.GetEndpoint("proxy", "http"), "/mcp");

    /// <summary>The authorization server's issuer URL.</summary>
    public Uri Issuer => new(App.App.GetEndpoint("identity", "http"), "/");

    public async Task InitializeAsync()
    {
        var builder = await GatewayAppBuilder.CreateAsync(false,
            $"--Parameters:identity-user-password={UserPassword}", $"--Parameters:agent-client-secret={AgentSecret}");
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
