using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using Gateway.Contracts.Configuration;
using Gateway.Testing;
using Gateway.Testing.Aspire;

namespace Gateway.IntegrationTests.Circuit;

/// <summary>
/// The whole system with two proxy replicas and two monitor replicas, real Garnet and RabbitMQ, the audit service on
/// SQLite, and a fault-injecting backend <c>flaky</c> (3 consecutive failures trip it; 1 s break) probed every 250 ms.
/// It also serves the SIGTERM test (<see cref="Pipeline.ProxySigtermTests"/>), which needs the same whole system: a
/// second backend <c>slow</c> (its tool shown as <c>slow__flaky_echo</c>) answers its load slowly, kept apart from
/// <c>flaky</c> so calls cut short by a shutdown never count against the breaker these tests watch. The LLM system
/// tests use the AppHost's two fake providers and a client with a token budget.
/// </summary>
public sealed class CircuitSystemFixture : IAsyncLifetime
{
    public const string Backend = "flaky";
    public const string SlowBackend = "slow";
    public static readonly string[] Proxies = ["proxy", "proxy-2"];
    public static readonly string[] Monitors = ["healthmonitor", "healthmonitor-2"];

    /// <summary>An LLM client with a token budget of <see cref="BudgetedTokensPerMinute"/> (the LLM system tests).</summary>
    public const string BudgetedClient = "budgeted";
    public const string BudgetedKey = "budgeted-key";
    public const long BudgetedTokensPerMinute = 5;

    /// <summary>What tests stop or kill, in the order they depend on each other.</summary>
    private static readonly string[] Stoppable = ["redis", "messaging", .. Monitors, .. Proxies];

    private GatewayTestApp? _app;

    public GatewayTestApp App => _app ?? throw new InvalidOperationException("Not started.");

    public FaultInjectingMcpServer Flaky { get; private set; } = null!;

    public FaultInjectingMcpServer Slow { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Flaky = await FaultInjectingMcpServer.StartAsync();
        Slow = await FaultInjectingMcpServer.StartAsync();
        var builder = (await GatewayAppBuilder.CreateAsync())
            .AddReplica("proxy", "proxy-2")
            .AddReplica("healthmonitor", "healthmonitor-2")
            .ConfigureGateway(options =>
            {
                options.Backends.Add(new BackendOptions
                {
                    Name = Backend,
                    Url = Flaky.Url,
                    CircuitBreaker = new CircuitBreakerOptions { ConsecutiveFailures = 3, BreakDuration = TimeSpan.FromSeconds(1) },
                });
                options.Backends.Add(new BackendOptions { Name = SlowBackend, Url = Slow.Url, Stateless = true, Prefix = SlowBackend });
                options.Clients.Add(new ClientOptions
                {
                    Id = BudgetedClient,
                    KeySha256 = Gateway.Authentication.GatewayAuth.HashKey(BudgetedKey),
                    Roles = ["admin"],
                    TokensPerMinute = BudgetedTokensPerMinute,
                });
                // The SIGTERM test keeps a dozen clients calling as fast as they are answered; no test here is about limits.
                options.RateLimits = new RateLimitOptions { ClientPerSecond = 100_000, ClientBurst = 100_000, ToolPerSecond = 100_000, ToolBurst = 100_000 };
            });
        foreach (var (name, value) in new[]
        {
            ("Gateway__HealthMonitor__ProbeInterval", "00:00:00.250"),
            ("Gateway__HealthMonitor__ProbeTimeout", "00:00:01"),
            ("Gateway__HealthMonitor__LeaseTtl", "00:00:02"),
            ("Gateway__HealthMonitor__LeaseRenewInterval", "00:00:00.500"),
        })
        {
            builder.WithEnvironment("healthmonitor", name, value);
        }

        _app = await builder.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        await Flaky.DisposeAsync();
        await Slow.DisposeAsync();
    }

    /// <summary>
    /// Brings back what an earlier test stopped (Garnet and RabbitMQ with the Stop command, a proxy replica with
    /// SIGTERM, exit code 0) and waits for what the crash restarter is bringing back (a killed monitor), so each test
    /// starts on the whole system, even after one that failed half-way.
    /// </summary>
    public async Task EnsureRunningAsync()
    {
        foreach (var resource in Stoppable)
        {
            var snapshot = await App.SnapshotAsync(resource);
            var stoppedOnPurpose = snapshot.State?.Text is { } state
                && (state == KnownResourceStates.Exited || state == KnownResourceStates.Finished)
                && (snapshot.ExitCode is 0 or null || App.Model.Resources.Single(r => r.Name == resource) is not ProjectResource);
            if (stoppedOnPurpose)
            {
                await App.StartResourceAsync(resource);
            }
            else
            {
                await App.WaitForRunningAndHealthyAsync(resource);
            }
        }
    }

    /// <summary>
    /// A proxy replica's circuit-gate health check (status and data), or null while it is not ready to say: its
    /// process is not running, it does not answer, or its <c>/health</c> has no circuit-gate check yet.
    /// </summary>
    public async Task<GateView?> GateAsync(string proxy)
    {
        if (await App.ProcessIdAsync(proxy) is null)
        {
            return null;
        }

        using var document = await GetJsonAsync(App.CreateAdminClient(proxy), "/health");
        if (document?.RootElement.TryGetProperty("checks", out var checks) != true
            || checks.EnumerateArray().FirstOrDefault(c => c.GetProperty("name").GetString() == "circuit-gate") is not { ValueKind: JsonValueKind.Object } check)
        {
            return null;
        }

        var data = check.GetProperty("data");
        return new GateView(
            check.GetProperty("status").GetString()!,
            data.GetProperty("backends").TryGetProperty(Backend, out var state) ? state.GetString()! : "",
            data.GetProperty("lastAppliedSequence").GetInt64(),
            data.GetProperty("snapshotSequence").GetInt64());
    }

    /// <summary>A monitor replica's view of <see cref="Backend"/>, or null while its process is not running or it does not answer.</summary>
    public async Task<MonitorView?> MonitorAsync(string monitor)
    {
        if (await App.ProcessIdAsync(monitor) is null)
        {
            return null;
        }

        using var document = await GetJsonAsync(App.CreateAdminClient(monitor), "/api/backends");
        if (document is null)
        {
            return null;
        }

        var backend = document.RootElement.GetProperty("backends").EnumerateArray().Single(b => b.GetProperty("name").GetString() == Backend);
        return new MonitorView(
            document.RootElement.GetProperty("leader").GetBoolean(),
            backend.GetProperty("state").GetString()!,
            backend.GetProperty("sequence").GetInt64(),
            backend.GetProperty("transitions").EnumerateArray().Select(t => (t.GetProperty("state").GetString()!, t.GetProperty("actor").GetString()!)).ToArray());
    }

    /// <summary>The running monitor replica that does not lead (waits for one).</summary>
    public async Task<string> StandbyAsync()
    {
        string? standby = null;
        await WaitUntilAsync(async () =>
        {
            foreach (var monitor in Monitors)
            {
                if (await MonitorAsync(monitor) is { Leader: false })
                {
                    standby = monitor;
                    return true;
                }
            }

            return false;
        });
        return standby!;
    }

    public async Task<string> LeaderAsync()
    {
        string? leader = null;
        await WaitUntilAsync(async () =>
        {
            foreach (var monitor in Monitors)
            {
                if (await MonitorAsync(monitor) is { Leader: true })
                {
                    leader = monitor;
                    return true;
                }
            }

            return false;
        });
        return leader!;
    }

    /// <summary>Posts isolate or reset to <paramref name="monitor"/>, by default the leader.</summary>
    public async Task<HttpResponseMessage> AdminAsync(string action, string? monitor = null)
    {
        monitor ??= await LeaderAsync();
        using var client = App.CreateAdminClient(monitor);
        return await client.PostAsJsonAsync(new Uri($"/api/backends/{Backend}/{action}", UriKind.Relative), new { reason = "integration test" });
    }

    /// <summary>Waits until every proxy replica gates <see cref="Backend"/> in <paramref name="state"/>.</summary>
    public Task WaitForProxiesAsync(string state, IEnumerable<string>? proxies = null) =>
        WaitUntilAsync(async () =>
        {
            foreach (var proxy in proxies ?? Proxies)
            {
                if ((await GateAsync(proxy))?.State != state)
                {
                    return false;
                }
            }

            return true;
        });

    /// <summary>The JSON answer of a GET, or null when the service does not answer (yet) or answers with an error.</summary>
    private static async Task<JsonDocument?> GetJsonAsync(HttpClient client, string path)
    {
        using (client)
        {
            client.Timeout = TimeSpan.FromSeconds(5);
            try
            {
                using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
                return response.IsSuccessStatusCode ? JsonDocument.Parse(await response.Content.ReadAsStringAsync()) : null;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException)
            {
                // Refused or cut off: a replica that is starting, stopping or was just killed.
                return null;
            }
        }
    }

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, int seconds = 120)
    {
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        while (!await condition())
        {
            await Task.Delay(100, limit.Token);
        }
    }
}

public sealed record GateView(string Status, string State, long LastAppliedSequence, long SnapshotSequence);

public sealed record MonitorView(bool Leader, string State, long Sequence, IReadOnlyList<(string State, string Actor)> Transitions);

[CollectionDefinition(Name)]
public sealed class CircuitSystemTests : ICollectionFixture<CircuitSystemFixture>
{
    public const string Name = "circuit system";
}
