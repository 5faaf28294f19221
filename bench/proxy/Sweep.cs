using HdrHistogram;

namespace Gateway.Bench.Proxy;

/// <summary>One target measured at one offered rate in one round.</summary>
internal sealed record Slice(
    int Round,
    string Target,
    int Rate,
    long Calls,
    int Errors,
    double AchievedPerSecond,
    IReadOnlyDictionary<string, double> LatencyMicroseconds,
    double? ProxyCpuMicrosecondsPerCall,
    double BenchCpuMicrosecondsPerCall,
    double? ProxyWorkingSetMegabytes);

/// <summary>A target: where its calls go and, unless it is the backend itself, the proxy process in between.</summary>
internal sealed record Target(string Name, string Description, Uri Url, ProxyProcess? Proxy);

/// <summary>
/// Every target at every offered rate, round after round, interleaved so that drift on the machine (other work, a
/// noisy neighbour) hits every target alike: within a round each rate is offered to each target in turn, the order
/// rotated from one rate to the next. A target that no longer keeps up at a rate (its median passed the limit: calls
/// queue) or fails calls is not offered higher rates in that round: it would only queue, and slow the others' next
/// slices. A p99 past the limit alone does not stop it: on a shared VM one stall of the whole machine does that.
/// </summary>
internal static class Sweep
{
    public static readonly double[] Percentiles = [50, 90, 99, 99.9, 99.99, 100];

    public static async Task<List<Slice>> RunAsync(IReadOnlyList<(Target Target, McpTarget Client)> targets, ToolsCallArguments arguments)
    {
        var slices = new List<Slice>();
        var self = Environment.ProcessId;
        for (var round = 1; round <= arguments.Rounds; round++)
        {
            var saturated = new HashSet<string>(StringComparer.Ordinal);
            for (var r = 0; r < arguments.Rates.Count; r++)
            {
                var rate = arguments.Rates[r];
                for (var t = 0; t < targets.Count; t++)
                {
                    var (target, client) = targets[(t + r + round) % targets.Count];
                    if (saturated.Contains(target.Name))
                    {
                        continue;
                    }

                    var proxyBefore = target.Proxy?.CpuTime;
                    var benchBefore = ProxyProcess.ReadCpuTime(self);
                    var (histogram, errors, seconds) = await LoadGenerator.FixedRateAsync(client, rate, arguments.Slice);
                    var calls = histogram.TotalCount;
                    var proxyCpu = target.Proxy is { } proxy ? (proxy.CpuTime - proxyBefore!.Value).TotalMicroseconds / calls : (double?)null;
                    var benchCpu = (ProxyProcess.ReadCpuTime(self) - benchBefore).TotalMicroseconds / calls;
                    var latency = Percentiles.ToDictionary(
                        p => p == 100 ? "max" : "p" + p.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        p => (double)(p == 100 ? histogram.GetMaxValue() : histogram.GetValueAtPercentile(p)),
                        StringComparer.Ordinal);
                    var slice = new Slice(round, target.Name, rate, calls, errors, calls / seconds, latency, proxyCpu, benchCpu,
                        target.Proxy?.SampleWorkingSet() / 1024.0 / 1024.0);
                    slices.Add(slice);
                    Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss} round {round} {rate,6}/s {target.Name,-10} p50 {latency["p50"],8:0} µs  p99 {latency["p99"],8:0} µs  errors {errors}  proxy CPU {proxyCpu:0} µs/call");
                    if (latency["p50"] > ToolsCallArguments.SustainableP99Milliseconds * 1000 || errors > 0)
                    {
                        saturated.Add(target.Name);
                    }
                }
            }
        }

        return slices;
    }

    /// <summary>
    /// Bytes each .NET proxy allocates per call, by type, over one more slice at the reference rate (not counted in
    /// the latency figures: the EventPipe session costs the proxy a little).
    /// </summary>
    public static async Task<List<Allocations>> SampleAllocationsAsync(IReadOnlyList<(Target Target, McpTarget Client)> targets, ToolsCallArguments arguments)
    {
        var sampled = new List<Allocations>();
        foreach (var (target, client) in targets)
        {
            if (target.Proxy is not { IsDotnet: true } proxy)
            {
                continue;
            }

            long calls = 0;
            var bytes = await AllocationSampler.SampleAsync(proxy.Pid, async () =>
                calls = (await LoadGenerator.FixedRateAsync(client, arguments.ReferenceRate, arguments.Slice)).Latency.TotalCount);
            var total = bytes.Values.Sum();
            var byType = bytes.OrderByDescending(b => b.Value).Take(25)
                .ToDictionary(b => b.Key, b => b.Value / (double)calls, StringComparer.Ordinal);
            sampled.Add(new Allocations(target.Name, calls, total / (double)calls, byType));
            Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss} allocations {target.Name,-10} {total / (double)calls:0} B/call");
        }

        return sampled;
    }
}

/// <summary>Bytes allocated per call by a .NET proxy, in all and for the types with the most (sampled, see <see cref="AllocationSampler"/>).</summary>
internal sealed record Allocations(string Target, long Calls, double BytesPerCall, IReadOnlyDictionary<string, double> TopTypesBytesPerCall);
