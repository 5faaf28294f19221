using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Testing.Aspire;
using Gateway.Contracts.Configuration;
using Gateway.Testing;

namespace Gateway.Bench.Circuit;

/// <summary>How a proxy replica's circuit-gate sees <see cref="BenchSystem.Backend"/> on <c>/health</c>.</summary>
/// <param name="State">The breaker's state in that replica.</param>
/// <param name="Sequence">Sequence of the last monitor transition it applied (0 before any).</param>
/// <param name="Applied">The state that transition set.</param>
/// <param name="Via"><c>bus</c> or <c>snapshot</c>.</param>
/// <param name="PropagationMilliseconds">From the monitor's decision to that replica applying it.</param>
internal sealed record GateView(string State, long Sequence, string Applied, string Via, double PropagationMilliseconds);

/// <summary>
/// The whole system as the AppHost runs it, on free loopback ports: Garnet, RabbitMQ, the audit service and its
/// database, the demo MCP servers, one health monitor and two proxy replicas as their own processes, plus the
/// fault-injecting backend <see cref="Backend"/> in this process. Every circuit, monitor and
/// outcome-reporting setting is the default.
/// </summary>
internal sealed class BenchSystem : IAsyncDisposable
{
    public const string Backend = "flaky";
    public const string Tool = "flaky_echo";
    public const string Monitor = "healthmonitor";

    /// <summary>
    /// How often <c>/health</c> is polled. Each poll runs the replica's health checks (a Redis ping among them), so
    /// polling harder would load the very processes being measured; the timings come from the replicas' own stamps.
    /// </summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);
    public static readonly string[] Proxies = ["proxy", "proxy-2"];

    private BenchSystem(FaultInjectingMcpServer flaky, GatewayTestApp app)
    {
        Flaky = flaky;
        App = app;
    }

    public FaultInjectingMcpServer Flaky { get; }

    public GatewayTestApp App { get; }

    public static async Task<BenchSystem> StartAsync()
    {
        var flaky = await FaultInjectingMcpServer.StartAsync();
        try
        {
            // The AppHost's own model through Aspire's test builder, with a second, addressable proxy replica.
            var builder = (await GatewayAppBuilder.CreateAsync())
                .AddReplica("proxy", Proxies[1])
                .ConfigureGateway(options =>
                {
                    options.Backends.Add(new BackendOptions { Name = Backend, Url = flaky.Url });
                    // The only change from the defaults: the steady load (two replicas x 100 calls/s, one client, one
                    // tool) must not be throttled (defaults: 50/s per client, 20/s per tool), or calls would be refused
                    // with -32005 before they reach the circuit gate.
                    options.RateLimits.ClientPerSecond = options.RateLimits.ToolPerSecond = 100_000;
                    options.RateLimits.ClientBurst = options.RateLimits.ToolBurst = 100_000;
                });
            var app = await builder.StartAsync();
            var system = new BenchSystem(flaky, app);
            await system.WaitForLeaderAsync();
            return system;
        }
        catch
        {
            await flaky.DisposeAsync();
            throw;
        }
    }

    public McpSession Session(string proxy) => new(App.CreateAdminClient(proxy));

    /// <summary>Asks the monitor to isolate or reset the backend; returns the sequence it committed the transition under.</summary>
    public async Task<long> AdminAsync(string action)
    {
        using var client = App.CreateAdminClient(Monitor);
        using var response = await client.PostAsJsonAsync(new Uri($"/api/backends/{Backend}/{action}", UriKind.Relative), new { reason = "benchmark" });
        response.EnsureSuccessStatusCode();
        using var view = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return view.RootElement.GetProperty("sequence").GetInt64();
    }

    public async Task<GateView> GateAsync(string proxy)
    {
        using var client = App.CreateAdminClient(proxy);
        using var health = JsonDocument.Parse(await client.GetStringAsync(new Uri("/health", UriKind.Relative)));
        var data = health.RootElement.GetProperty("checks").EnumerateArray()
            .Single(c => c.GetProperty("name").GetString() == "circuit-gate").GetProperty("data");
        var state = data.GetProperty("backends").GetProperty(Backend).GetString()!;
        return data.GetProperty("transitions").TryGetProperty(Backend, out var applied)
            ? new GateView(
                state,
                applied.GetProperty("sequence").GetInt64(),
                applied.GetProperty("state").GetString()!,
                applied.GetProperty("via").GetString()!,
                applied.GetProperty("propagationMs").GetDouble())
            : new GateView(state, 0, "", "", double.NaN);
    }

    /// <summary>Polls a replica's <c>/health</c> until it has applied a transition at least as new as <paramref name="sequence"/>.</summary>
    public async Task<GateView> WaitForSequenceAsync(string proxy, long sequence, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            var gate = await GateAsync(proxy);
            if (gate.Sequence >= sequence)
            {
                return gate;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{proxy} did not apply sequence {sequence} within {limit.TotalSeconds} s (at {gate.Sequence}).");
            }

            await Task.Delay(PollInterval);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        await Flaky.DisposeAsync();
    }

    private async Task WaitForLeaderAsync()
    {
        using var client = App.CreateAdminClient(Monitor);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            using var view = JsonDocument.Parse(await client.GetStringAsync(new Uri("/api/backends", UriKind.Relative)));
            if (view.RootElement.GetProperty("leader").GetBoolean())
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("The health monitor did not take the lead within 60 s.");
    }
}
