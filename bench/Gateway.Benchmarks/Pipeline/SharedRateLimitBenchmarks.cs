using BenchmarkDotNet.Attributes;
using Gateway.Testing.Aspire;
using Gateway.Contracts.Configuration;
using Gateway.Proxy.Pipeline.RateLimiting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Gateway.Benchmarks.Pipeline;

/// <summary>
/// The rate-limit stage as production runs it, with the shared Redis buckets (a real Garnet, started for the run the
/// way the AppHost starts it): calls spend tokens leased from Redis, and a fetch of the next lease now and then is
/// the only Redis work. Target: zero bytes allocated per call; a fetch's allocations are spread over its lease.
/// </summary>
/// <remarks>
/// Each iteration uses a new client (fresh buckets in Redis and empty leases), so it starts with the one-token
/// leases and the doubling that follows, as a client does whose traffic just began.
/// </remarks>
[MemoryDiagnoser]
[InvocationCount(Calls)]
public class SharedRateLimitBenchmarks
{
    private const int Calls = 100_000;

    private readonly StaticOptionsMonitor<GatewayOptions> _options = new(new GatewayOptions
    {
        RateLimits = new RateLimitOptions { ClientBurst = 2 * Calls, ClientPerSecond = 1_000, ToolBurst = 2 * Calls, ToolPerSecond = 1_000 },
    });

    private GatewayTestApp _garnet = null!;
    private ConnectionMultiplexer _redis = null!;
    private CallRateLimiter _rateLimiter = null!;
    private string _client = "";

    [GlobalSetup]
    public void Setup()
    {
        // Synchronously: the in-process toolchain does not await an asynchronous global setup.
        // The AppHost's Garnet alone, through Aspire's test builder.
        _garnet = GatewayAppBuilder.CreateAsync().GetAwaiter().GetResult().Only("redis").StartAsync().GetAwaiter().GetResult();
        _redis = ConnectionMultiplexer.Connect(_garnet.GetConnectionStringAsync("redis").GetAwaiter().GetResult()!);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _rateLimiter.Dispose();
        _redis.Dispose();
        _garnet.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [IterationSetup]
    public void NewClient()
    {
        _rateLimiter?.Dispose();
        _rateLimiter = new CallRateLimiter(_options, Options.Create(new RateLimitingOptions()), TimeProvider.System,
            NullLogger<CallRateLimiter>.Instance, new RedisTokenBuckets(_redis));
        _client = "bench-" + Guid.NewGuid().ToString("N");
    }

    [Benchmark]
    public bool SharedRateLimit()
    {
        var verdict = _rateLimiter.AcquireAsync(_client, "read_file");
        // Only a call that finds its lease empty waits for Redis.
        return (verdict.IsCompletedSuccessfully ? verdict.Result : verdict.AsTask().GetAwaiter().GetResult()) is { Allowed: true, Shared: true };
    }

    private sealed class StaticOptionsMonitor<T>(T value) : IOptionsMonitor<T>
    {
        public T CurrentValue => value;

        public T Get(string? name) => value;

        public IDisposable? OnChange(Action<T, string?> listener) => null;
    }
}
