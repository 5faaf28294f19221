using System.Diagnostics;

namespace Gateway.Bench.Circuit;

/// <summary>Propagation samples of one proxy replica.</summary>
internal sealed class ReplicaPropagation
{
    /// <summary>Monitor decision to this replica applying it, as the replica recorded it (ms).</summary>
    public List<double> Manual { get; } = [];

    /// <summary>The same for the monitor's own trips during the fast-fail runs (ms).</summary>
    public List<double> Automatic { get; } = [];

    /// <summary>
    /// Seen from outside: from sending the admin request to this replica's <c>/health</c> showing the transition,
    /// polled every <see cref="BenchSystem.PollInterval"/> (ms). An upper bound: it adds the admin call's round trip and the polling.
    /// </summary>
    public List<double> External { get; } = [];

    /// <summary>Transitions this replica had already moved past when polled (never sampled).</summary>
    public int Superseded { get; set; }
}

/// <summary>
/// Isolate/reset cycles through the monitor's API. For each transition the monitor stamps its decision time
/// (<c>CircuitStateChanged.At</c>) and each replica stamps the moment its breaker applied it; both are read back from
/// the replica's <c>/health</c> once it shows the transition's sequence.
/// </summary>
internal static class PropagationBenchmark
{
    /// <summary>Cycles run first and not counted: the first transitions run code paths no call has compiled yet.</summary>
    public const int WarmUpCycles = 5;

    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    public static async Task<Dictionary<string, ReplicaPropagation>> RunAsync(BenchSystem system, int cycles)
    {
        await RunCyclesAsync(system, WarmUpCycles, BenchSystem.Proxies.ToDictionary(p => p, _ => new ReplicaPropagation(), StringComparer.Ordinal));
        var replicas = BenchSystem.Proxies.ToDictionary(p => p, _ => new ReplicaPropagation(), StringComparer.Ordinal);
        await RunCyclesAsync(system, cycles, replicas);
        return replicas;
    }

    private static async Task RunCyclesAsync(BenchSystem system, int cycles, Dictionary<string, ReplicaPropagation> replicas)
    {
        for (var cycle = 0; cycle < cycles; cycle++)
        {
            foreach (var action in new[] { "isolate", "reset" })
            {
                var started = Stopwatch.GetTimestamp();
                var sequence = await system.AdminAsync(action);
                await Task.WhenAll(BenchSystem.Proxies.Select(async proxy =>
                {
                    var gate = await system.WaitForSequenceAsync(proxy, sequence, Limit);
                    var samples = replicas[proxy];
                    lock (samples)
                    {
                        samples.External.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                        if (gate.Sequence == sequence)
                        {
                            samples.Manual.Add(gate.PropagationMilliseconds);
                        }
                        else
                        {
                            samples.Superseded++;
                        }
                    }
                }));
            }

            if ((cycle + 1) % 50 == 0)
            {
                Console.Error.WriteLine($"propagation: {cycle + 1}/{cycles} isolate/reset cycles");
            }
        }
    }
}
