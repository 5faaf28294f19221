using System.Text.Json;

namespace Gateway.Benchmarks.Tests;

/// <summary>
/// Every scenario of <c>bench/run</c> in smoke mode (seconds of load, tiny counts): each must run to the end and
/// produce its figures. Nothing here judges a figure: a smoke run's numbers mean nothing, and a time asserted on a
/// shared machine would fail for the machine's sake.
/// </summary>
public sealed class SmokeRunTests
{
    [Fact]
    public async Task The_tools_call_scenario_measures_latency_and_proxy_cpu_for_direct_the_gateway_with_and_without_policies_yarp_and_the_bare_forwarder()
    {
        var results = await BenchRun.SmokeAsync("tools-call");

        var run = results.GetProperty("runs").EnumerateArray().Single();
        var summary = run.GetProperty("summary").EnumerateArray().ToDictionary(s => s.GetProperty("target").GetString()!);
        Assert.Superset(new HashSet<string>(["direct", "gateway", "gateway-policies-off", "yarp", "floor"]), summary.Keys.ToHashSet());
        foreach (var (target, figures) in summary)
        {
            BenchRun.Number(figures.GetProperty("p50Microseconds"));
            BenchRun.Number(figures.GetProperty("p99Microseconds"));
            if (target != "direct")
            {
                BenchRun.Number(figures.GetProperty("addedP50Microseconds"));
                BenchRun.Number(figures.GetProperty("proxyCpuMicrosecondsPerCall"));
                BenchRun.Number(figures.GetProperty("peakWorkingSetMegabytes"));
            }
        }

        var slice = run.GetProperty("slices").EnumerateArray().First();
        Assert.True(BenchRun.Number(slice.GetProperty("calls")) > 0);
        foreach (var percentile in new[] { "p50", "p90", "p99", "p99.9", "p99.99", "max" })
        {
            BenchRun.Number(slice.GetProperty("latencyMicroseconds").GetProperty(percentile));
        }
    }

    [Fact]
    public async Task The_llm_scenario_measures_time_to_first_event_throughput_and_memory_for_direct_the_gateway_and_yarp()
    {
        var results = await BenchRun.SmokeAsync("llm");

        foreach (var target in new[] { "direct", "gateway", "yarp" })
        {
            var firstEvent = results.GetProperty("firstEventUs").GetProperty(target);
            Assert.True(firstEvent.GetProperty("count").GetInt64() > 0, $"{target}: no stream measured");
            Assert.Equal(0, firstEvent.GetProperty("errors").GetInt32());
            BenchRun.Number(firstEvent.GetProperty("p99"));
            Assert.True(results.GetProperty("throughput").GetProperty(target).GetProperty("completed").GetInt64() > 0, $"{target}: no completion");
        }

        BenchRun.Number(results.GetProperty("addedFirstEventUs").GetProperty("gateway").GetProperty("p99Us"));
        BenchRun.Number(results.GetProperty("gatewayToYarpThroughput"));
        BenchRun.Number(results.GetProperty("memory").GetProperty("slopeKiBPer1000Requests"));
    }

    [Fact]
    public async Task The_circuit_scenario_times_propagation_to_every_replica_and_the_fast_fail_runs()
    {
        var results = await BenchRun.SmokeAsync("circuit");

        var replicas = results.GetProperty("propagationMilliseconds").EnumerateObject().ToList();
        Assert.Equal(2, replicas.Count);
        Assert.All(replicas, r => Assert.NotEmpty(r.Value.GetProperty("Manual").EnumerateArray()));
        Assert.All(replicas, r => BenchRun.Number(r.Value.GetProperty("Manual")[0]));
        Assert.NotEmpty(results.GetProperty("fastFailRuns").EnumerateArray());
    }

    [Fact]
    public async Task The_audit_scenario_ingests_into_sqlite_and_postgresql_and_stores_every_event()
    {
        var results = await BenchRun.SmokeAsync("audit");

        foreach (var engine in new[] { "sqlite", "postgres" })
        {
            var figures = results.GetProperty(engine);
            Assert.Equal(BenchRun.Number(figures.GetProperty("events")), BenchRun.Number(figures.GetProperty("stored")));
            BenchRun.Number(figures.GetProperty("ingestPerSecond"));
            BenchRun.Number(figures.GetProperty("timeToCommittedMilliseconds").GetProperty("p99"));
            Assert.All(figures.GetProperty("cpuMicrosecondsPerEvent").EnumerateArray(), c => BenchRun.Number(c.GetProperty("value")));
        }
    }

    [Fact]
    public async Task The_micro_scenario_runs_every_benchmarkdotnet_suite_with_time_and_allocations()
    {
        var results = await BenchRun.SmokeAsync("micro");

        var benchmarks = results.GetProperty("suites").EnumerateArray().SelectMany(s => s.GetProperty("benchmarks").EnumerateArray()).ToList();
        Assert.Contains(benchmarks, b => b.GetProperty("description").GetString()!.Contains("Polly", StringComparison.Ordinal));
        Assert.All(benchmarks, b =>
        {
            BenchRun.Number(b.GetProperty("meanNs"));
            BenchRun.Number(b.GetProperty("allocatedBytes"));
        });
    }

    [Fact]
    public async Task The_startup_scenario_times_the_apphost_to_every_service_healthy_and_its_memory()
    {
        var results = await BenchRun.SmokeAsync("startup");

        BenchRun.Number(results.GetProperty("medianStartSeconds"));
        Assert.All(results.GetProperty("everythingRssMb").EnumerateArray(), m => BenchRun.Number(m));
    }
}
