using BenchmarkDotNet.Attributes;
using Gateway.Contracts.Configuration;
using Gateway.Proxy.Circuit;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;

namespace Gateway.Benchmarks.Circuit;

/// <summary>
/// The circuit gate's hot path on a closed circuit, side by side with Polly v8's circuit breaker doing the same work:
/// admit one call and record its success. Polly's breaker can only be driven through a pipeline execution, so that
/// is what it is measured with.
/// </summary>
[MemoryDiagnoser]
public class CircuitAdmissionBenchmarks
{
    private CircuitBreakerRegistry _registry = null!;
    private ResiliencePipeline _polly = null!;

    [GlobalSetup]
    public void Setup()
    {
        var options = new GatewayOptions
        {
            Backends = [.. Enumerable.Range(0, 32).Select(i => new BackendOptions { Name = $"backend-{i}", Url = new Uri("http://127.0.0.1:1/mcp") })],
        };
        _registry = new CircuitBreakerRegistry(new FixedOptionsMonitor(options), TimeProvider.System, NullLogger<CircuitBreakerRegistry>.Instance);
        _polly = new ResiliencePipelineBuilder()
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions())
            .Build();
    }

    [GlobalCleanup]
    public void Cleanup() => _registry.Dispose();

    [Benchmark(Baseline = true, Description = "Polly.Core circuit breaker: execute (admit + record success)")]
    public void Polly() => _polly.Execute(static () => { });

    [Benchmark(Description = "Gateway registry: acquire + Success + dispose")]
    public PermitKind GatewayAdmitAndRecord()
    {
        using var permit = Admitted(_registry.AcquirePermitAsync("backend-17"));
        permit.Success();
        return permit.Kind;
    }

    [Benchmark(Description = "Gateway registry: acquire + dispose (admission only)")]
    public PermitKind GatewayAdmitOnly()
    {
        using var permit = Admitted(_registry.AcquirePermitAsync("backend-17"));
        return permit.Kind;
    }

    /// <summary>A closed circuit admits synchronously: the ValueTask is already completed, with no allocation.</summary>
    private static CircuitPermit Admitted(ValueTask<CircuitPermit> pending) =>
        pending.IsCompletedSuccessfully ? pending.Result : throw new InvalidOperationException("Closed admission went asynchronous.");

    private sealed class FixedOptionsMonitor(GatewayOptions value) : IOptionsMonitor<GatewayOptions>
    {
        public GatewayOptions CurrentValue => value;

        public GatewayOptions Get(string? name) => value;

        public IDisposable? OnChange(Action<GatewayOptions, string?> listener) => null;
    }
}
