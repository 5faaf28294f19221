using System.Net.Http.Headers;
using System.Text.Json;
using Gateway.AppHost.Configuration;
using Gateway.Contracts.Configuration;
using Gateway.Testing;
using Gateway.Testing.Aspire;

namespace Gateway.IntegrationTests.Foundation;

/// <summary>
/// The whole model for tests that kill its processes, started once for the "resource faults" collection, with an
/// agent client of its own so its calls are told apart in the audit log.
/// </summary>
public sealed class ResourceFaultsFixture : IAsyncLifetime
{
    public const string Agent = "fault-agent";
    private const string AgentKey = "fault-agent-key-0123456789";

    private GatewayTestApp? _app;

    public GatewayTestApp App => _app ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync()
    {
        var builder = await GatewayAppBuilder.CreateAsync();
        builder.ConfigureGateway(options => options.Clients.Add(new ClientOptions
        {
            Id = Agent,
            KeySha256 = GatewayConfigurationResource.Sha256Hex(AgentKey),
            Roles = [GatewayConfigurationResource.AdminRole],
        }));
        _app = await builder.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    /// <summary>An MCP session of the agent through the proxy.</summary>
    public async Task<McpHttpSession> AgentSessionAsync()
    {
        var http = App.CreateHttpClient("proxy");
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AgentKey);
        var session = new McpHttpSession(http, Agent);
        await session.InitializeAsync();
        return session;
    }

    /// <summary>
    /// Waits until each of <paramref name="answered"/> (session, JSON-RPC id) is in the audit log, then returns how
    /// many times each is there.
    /// </summary>
    public async Task<IReadOnlyDictionary<(string Session, string Request), int>> AuditedAsync(IReadOnlyCollection<(string Session, string Request)> answered)
    {
        Dictionary<(string, string), int> counts = [];
        await Eventually.TrueAsync(
            async () =>
            {
                var events = await App.AuditAsync($"client={Agent}&method=tools/call");
                counts = events
                    .GroupBy(e => (e.GetProperty("sessionId").GetString() ?? "", e.GetProperty("requestId").GetString() ?? ""))
                    .ToDictionary(g => g.Key, g => g.Count());
                return answered.All(counts.ContainsKey);
            },
            TimeSpan.FromMinutes(3),
            "every answered call audited");
        return counts;
    }

    /// <summary>Calls the demo echo tool; the call's (session, id) when the proxy answered with a result.</summary>
    public static async Task<(string Session, string Request)?> EchoAsync(McpHttpSession session, string message)
    {
        JsonElement answer;
        try
        {
            answer = await session.RequestAsync("tools/call", new { name = "everything__echo", arguments = new { message } });
        }
        catch (HttpRequestException)
        {
            return null;
        }

        return answer.TryGetProperty("result", out _) ? (session.SessionId!, session.LastRequestId.ToString(System.Globalization.CultureInfo.InvariantCulture)) : null;
    }
}

[CollectionDefinition(Name)]
public sealed class ResourceFaultTests : ICollectionFixture<ResourceFaultsFixture>
{
    public const string Name = "resource faults";
}
