using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.AppHost.Configuration;
using Gateway.Contracts.Configuration;
using Gateway.Testing;
using Gateway.Testing.Aspire;

namespace Gateway.IntegrationTests.Chaos;

/// <summary>
/// The whole system, started once for the chaos suite: two proxy replicas and two monitor replicas (leader election),
/// Garnet, RabbitMQ, the audit service, the demo backend. A client of its own (<see cref="Agent"/>) so its calls are
/// told apart in the audit log, and two overrides engaged at start on a backend the load never calls: a kill switch on
/// the proxies and an isolation by the monitor leader, both checked on every proxy replica around every fault.
/// </summary>
public sealed class ChaosFixture : IAsyncLifetime
{
    public const string Agent = "chaos-agent";
    public const string Tool = "everything__echo";

    /// <summary>The backend the overrides are engaged on; no load goes to it.</summary>
    public const string OverriddenBackend = "everything-stdio";

    /// <summary>How long a proxy waits for the broker's confirmation before it spills a batch (the run's setting).</summary>
    public static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Each proxy replica's audit spill bound: above what the 30 s broker outage spills (at its slower pace, restart
    /// included), well below what the spill scenario's faster stream spills in a longer one.
    /// </summary>
    public const long SpillLimitBytes = 256 * 1024;

    public static readonly string[] Proxies = ["proxy", "proxy-2"];
    public static readonly string[] Monitors = ["healthmonitor", "healthmonitor-2"];

    private const string AgentKey = "chaos-agent-key-0123456789";

    private GatewayTestApp? _app;

    public GatewayTestApp App => _app ?? throw new InvalidOperationException("Not started.");

    /// <summary>Each scenario's counts, written to a results file at the end when <see cref="ChaosResults.Variable"/> is set.</summary>
    public ConcurrentDictionary<string, ChaosCounts> Results { get; } = new(StringComparer.Ordinal);

    public async Task InitializeAsync()
    {
        var builder = (await GatewayAppBuilder.CreateAsync())
            .AddReplica("proxy", "proxy-2")
            .AddReplica("healthmonitor", "healthmonitor-2")
            .ConfigureGateway(options =>
            {
                options.Clients.Add(new ClientOptions
                {
                    Id = Agent,
                    KeySha256 = GatewayConfigurationResource.Sha256Hex(AgentKey),
                    Roles = [GatewayConfigurationResource.AdminRole],
                });
                // The load is a few calls a second per client; no scenario is about limits.
                options.RateLimits = new RateLimitOptions { ClientPerSecond = 100_000, ClientBurst = 100_000, ToolPerSecond = 100_000, ToolBurst = 100_000 };
            });
        foreach (var (name, value) in new[]
        {
            ("Gateway__Audit__PublishTimeout", "00:00:01"),
            ("Gateway__Audit__RetryInterval", "00:00:00.500"),
            ("Gateway__Audit__SpillLimitBytes", SpillLimitBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        })
        {
            builder.WithEnvironment("proxy", name, value);
        }

        foreach (var (name, value) in new[]
        {
            ("Gateway__HealthMonitor__LeaseTtl", "00:00:02"),
            ("Gateway__HealthMonitor__LeaseRenewInterval", "00:00:00.500"),
        })
        {
            builder.WithEnvironment("healthmonitor", name, value);
        }

        _app = await builder.StartAsync();
        await EngageOverridesAsync();
    }

    public async Task DisposeAsync()
    {
        ChaosResults.WriteIfAsked(Results.Values);
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    /// <summary>An MCP session of the agent on one proxy replica (not yet initialized).</summary>
    public McpHttpSession Session(string proxy)
    {
        var http = App.CreateHttpClient(proxy);
        http.Timeout = TimeSpan.FromSeconds(30);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AgentKey);
        return new McpHttpSession(http, Agent);
    }

    /// <summary>The agent's <c>tools/call</c> events in the audit log whose request id starts with <paramref name="prefix"/>.</summary>
    public async Task<IReadOnlyList<JsonElement>> AuditedAsync(string prefix) =>
        [.. (await App.AuditAsync($"client={Agent}&method=tools/call"))
            .Where(e => e.GetProperty("requestId").GetString()?.StartsWith(prefix, StringComparison.Ordinal) == true)];

    /// <summary>
    /// How many of the overrides (the kill switch and the isolation, on each proxy replica) are in force: listed by
    /// the replica's admin API and its circuit gate. A replica that does not answer has none in force.
    /// </summary>
    public async Task<int> OverridesInForceAsync()
    {
        var inForce = 0;
        foreach (var proxy in Proxies)
        {
            using var admin = App.CreateAdminClient(proxy);
            admin.Timeout = TimeSpan.FromSeconds(5);
            try
            {
                var switches = await admin.GetFromJsonAsync<JsonElement>(new Uri("/admin/kill-switches", UriKind.Relative));
                if (switches.EnumerateArray().Any(s => s.GetProperty("scope").GetString() == "backend" && s.GetProperty("name").GetString() == OverriddenBackend))
                {
                    inForce++;
                }

                using var health = await admin.GetAsync(new Uri("/health", UriKind.Relative));
                using var document = JsonDocument.Parse(await health.Content.ReadAsStringAsync());
                var gate = document.RootElement.GetProperty("checks").EnumerateArray().FirstOrDefault(c => c.GetProperty("name").GetString() == "circuit-gate");
                if (gate.ValueKind == JsonValueKind.Object
                    && gate.GetProperty("data").GetProperty("backends").TryGetProperty(OverriddenBackend, out var state)
                    && state.GetString() == "Isolated")
                {
                    inForce++;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or KeyNotFoundException or InvalidOperationException)
            {
                // Not answering (killed, starting): nothing in force on this replica right now.
            }
        }

        return inForce;
    }

    /// <summary>Every override on every replica: what <see cref="OverridesInForceAsync"/> counts when nothing is lost.</summary>
    public static int AllOverrides => Proxies.Length * 2;

    /// <summary>The monitor replica that holds the leadership lease (waits for one).</summary>
    public async Task<string> MonitorLeaderAsync() =>
        await Eventually.ValueAsync(async () =>
        {
            foreach (var monitor in Monitors)
            {
                if (await App.ProcessIdAsync(monitor) is null)
                {
                    continue;
                }

                using var client = App.CreateAdminClient(monitor);
                client.Timeout = TimeSpan.FromSeconds(5);
                var backends = await client.GetFromJsonAsync<JsonElement>(new Uri("/api/backends", UriKind.Relative));
                if (backends.GetProperty("leader").GetBoolean())
                {
                    return monitor;
                }
            }

            return null;
        }, what: "a monitor leader");

    /// <summary>
    /// Waits until every resource runs and is healthy again (after an earlier scenario, even one that failed half-way)
    /// and engages the overrides again where an earlier scenario lost them, so each scenario starts on the whole system.
    /// </summary>
    public async Task EnsureReadyAsync()
    {
        foreach (var resource in App.Model.Resources.Where(r => r.Annotations.OfType<Aspire.Hosting.ApplicationModel.HealthCheckAnnotation>().Any()))
        {
            await App.WaitForRunningAndHealthyAsync(resource.Name);
        }

        if (await OverridesInForceAsync() < AllOverrides)
        {
            await EngageOverridesAsync();
        }
    }

    private async Task EngageOverridesAsync()
    {
        using var proxy = App.CreateAdminClient("proxy");
        using var engaged = await proxy.PutAsJsonAsync(new Uri($"/admin/kill-switches/backends/{OverriddenBackend}", UriKind.Relative), new { reason = "chaos suite" });
        engaged.EnsureSuccessStatusCode();
        using var monitor = App.CreateAdminClient(await MonitorLeaderAsync());
        // Isolating an isolated backend again changes nothing, whatever the monitor answers.
        using var isolated = await monitor.PostAsJsonAsync(new Uri($"/api/backends/{OverriddenBackend}/isolate", UriKind.Relative), new { reason = "chaos suite" });
        await Eventually.TrueAsync(async () => await OverridesInForceAsync() == AllOverrides, what: "the overrides in force on every proxy replica");
    }
}

[CollectionDefinition(Name)]
public sealed class ChaosSuite : ICollectionFixture<ChaosFixture>
{
    public const string Name = "chaos";
}
