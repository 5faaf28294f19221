using System.Net.Http.Json;
using System.Text.Json;
using Gateway.AppHost.Hosting;
using Gateway.AppHost.Testing;
using Gateway.Contracts.Configuration;
using Gateway.Testing;

namespace Gateway.IntegrationTests.Circuit;

/// <summary>
/// The whole system with two proxy replicas and two monitor replicas, real Garnet and RabbitMQ, and a fault-injecting
/// backend <c>flaky</c> (3 consecutive failures trip it; 1 s break) probed every 250 ms.
/// </summary>
public sealed class CircuitSystemFixture : IAsyncLifetime
{
    public const string Backend = "flaky";
    public static readonly string[] Proxies = ["proxy", "proxy-2"];
    public static readonly string[] Monitors = ["healthmonitor", "healthmonitor-2"];

    private DistributedApplication? _app;

    public DistributedApplication App => _app ?? throw new InvalidOperationException("Not started.");

    public FaultInjectingMcpServer Flaky { get; private set; } = null!;

    public string AdminApiKey { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Flaky = await FaultInjectingMcpServer.StartAsync();
        var builder = GatewayTestingBuilder.Create()
            .WithReplicas("proxy", 2)
            .WithReplicas("healthmonitor", 2)
            .ConfigureGateway(options => options.Backends.Add(new BackendOptions
            {
                Name = Backend,
                Url = Flaky.Url,
                CircuitBreaker = new CircuitBreakerOptions { ConsecutiveFailures = 3, BreakDuration = TimeSpan.FromSeconds(1) },
            }));
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

        AdminApiKey = builder.AdminApiKey;
        _app = await builder.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        await Flaky.DisposeAsync();
    }

    /// <summary>A proxy replica's circuit-gate health check (status and data), or null while it does not answer.</summary>
    public async Task<GateView?> GateAsync(string proxy)
    {
        try
        {
            using var client = App.CreateHttpClient(proxy);
            client.Timeout = TimeSpan.FromSeconds(5);
            using var response = await client.GetAsync(new Uri("/health", UriKind.Relative));
            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var check = document.RootElement.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "circuit-gate");
            var data = check.GetProperty("data");
            return new GateView(
                check.GetProperty("status").GetString()!,
                data.GetProperty("backends").TryGetProperty(Backend, out var state) ? state.GetString()! : "",
                data.GetProperty("lastAppliedSequence").GetInt64(),
                data.GetProperty("snapshotSequence").GetInt64());
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>A monitor replica's view of <see cref="Backend"/>, or null while it does not answer.</summary>
    public async Task<MonitorView?> MonitorAsync(string monitor)
    {
        try
        {
            using var client = App.CreateAuthenticatedHttpClient(monitor, AdminApiKey);
            client.Timeout = TimeSpan.FromSeconds(5);
            using var document = JsonDocument.Parse(await client.GetStringAsync(new Uri("/api/backends", UriKind.Relative)));
            var backend = document.RootElement.GetProperty("backends").EnumerateArray().Single(b => b.GetProperty("name").GetString() == Backend);
            return new MonitorView(
                document.RootElement.GetProperty("leader").GetBoolean(),
                backend.GetProperty("state").GetString()!,
                backend.GetProperty("sequence").GetInt64(),
                backend.GetProperty("transitions").EnumerateArray().Select(t => (t.GetProperty("state").GetString()!, t.GetProperty("actor").GetString()!)).ToArray());
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    public async Task<string> LeaderAsync()
    {
        string? leader = null;
        await WaitUntilAsync(async () =>
        {
            foreach (var monitor in Monitors)
            {
                if (App.GetProcessId(monitor) is not null && await MonitorAsync(monitor) is { Leader: true })
                {
                    leader = monitor;
                    return true;
                }
            }

            return false;
        });
        return leader!;
    }

    public async Task<HttpResponseMessage> AdminAsync(string action)
    {
        var leader = await LeaderAsync();
        using var client = App.CreateAuthenticatedHttpClient(leader, AdminApiKey);
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

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, int seconds = 60)
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
