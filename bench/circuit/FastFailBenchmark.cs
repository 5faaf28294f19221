using System.Diagnostics;

namespace Gateway.Bench.Circuit;

/// <summary>One call of the steady load: when it was sent (Stopwatch timestamp) and its outcome.</summary>
internal readonly record struct Call(long Sent, CallOutcome Outcome, int Code);

/// <summary>One replica in one run.</summary>
/// <param name="FirstRefusalMilliseconds">First call refused with -32007, from the backend starting to fail.</param>
/// <param name="FastFailingMilliseconds">
/// From the backend starting to fail to the first call after which every call on this replica was refused with
/// -32007 (null if it never got there within the window).
/// </param>
/// <param name="FailedThrough">Calls sent after the backend started failing that were not refused (they reached it).</param>
/// <param name="Refused">Calls refused with -32007.</param>
/// <param name="Calls">Calls sent while the backend was failing.</param>
/// <param name="ThroughByCode">The calls not refused, by JSON-RPC error code (0: answered without an error code).</param>
internal sealed record ReplicaRun(
    double? FirstRefusalMilliseconds,
    double? FastFailingMilliseconds,
    int FailedThrough,
    int Refused,
    int Calls,
    IReadOnlyDictionary<int, int> ThroughByCode);

/// <summary>A run with load on one replica only: the other replica has to learn it from the monitor.</summary>
/// <param name="Loaded">The loaded replica's figures.</param>
/// <param name="IdleOpenMilliseconds">From t0 to the idle replica's <c>/health</c> showing the circuit Open (null: never within the window).</param>
internal sealed record OneSidedRun(ReplicaRun Loaded, double? IdleOpenMilliseconds);

/// <summary>One run: each replica's figures, and whether refused calls stayed away from the backend.</summary>
/// <param name="BackendCallsInLastSecond">tools/call requests the backend received during the window's last second.</param>
/// <param name="NotRefusedInLastSecond">Calls sent in that second that the gateway did not refuse.</param>
/// <param name="MonitorTrip">Each replica's applied monitor transition at the end of the window.</param>
internal sealed record FastFailRun(
    IReadOnlyDictionary<string, ReplicaRun> Replicas,
    int BackendCallsInLastSecond,
    int NotRefusedInLastSecond,
    IReadOnlyDictionary<string, GateView> MonitorTrip);

/// <summary>
/// Steady <c>tools/call</c> load on every replica (open loop, fixed rate), the backend flipped to failing (503 to
/// everything) at t0, and each replica's calls classified until the window ends. Between runs the backend heals and
/// an isolate/reset through the monitor closes every breaker.
/// </summary>
internal sealed class FastFailBenchmark(BenchSystem system, int ratePerReplica, TimeSpan window)
{
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan LastSecond = TimeSpan.FromSeconds(1);

    public List<FastFailRun> Runs { get; } = [];

    public List<OneSidedRun> OneSidedRuns { get; } = [];

    public async Task RunAsync(int runs, int oneSidedRuns, Dictionary<string, ReplicaPropagation> propagation)
    {
        var sessions = new Dictionary<string, McpSession>(StringComparer.Ordinal);
        foreach (var proxy in BenchSystem.Proxies)
        {
            sessions[proxy] = system.Session(proxy);
            await sessions[proxy].InitializeAsync();
        }

        try
        {
            for (var run = 0; run < runs; run++)
            {
                await CloseEverywhereAsync(sessions);
                var result = await RunOnceAsync(sessions);
                Runs.Add(result);
                foreach (var (proxy, gate) in result.MonitorTrip)
                {
                    // The monitor's own trip, decided from the replicas' outcome reports, as each replica applied it.
                    if (gate is { Applied: "Open", Via: "bus" })
                    {
                        propagation[proxy].Automatic.Add(gate.PropagationMilliseconds);
                    }
                }

                Console.Error.WriteLine($"fast-fail: run {run + 1}/{runs}: " + string.Join(", ", result.Replicas.Select(r => $"{r.Key} {r.Value.FastFailingMilliseconds:0} ms")));
            }

            for (var run = 0; run < oneSidedRuns; run++)
            {
                await CloseEverywhereAsync(sessions);
                var result = await RunOneSidedAsync(sessions[BenchSystem.Proxies[0]], BenchSystem.Proxies[1]);
                OneSidedRuns.Add(result);
                Console.Error.WriteLine($"fast-fail, load on one replica: run {run + 1}/{oneSidedRuns}: idle replica open after {result.IdleOpenMilliseconds:0} ms");
            }
        }
        finally
        {
            system.Flaky.Failing = false;
            foreach (var session in sessions.Values)
            {
                session.Dispose();
            }
        }
    }

    private async Task<FastFailRun> RunOnceAsync(Dictionary<string, McpSession> sessions)
    {
        var flipAt = Stopwatch.GetTimestamp() + (long)(WarmUp.TotalSeconds * Stopwatch.Frequency);
        var end = flipAt + (long)(window.TotalSeconds * Stopwatch.Frequency);
        var lastSecond = end - (long)(LastSecond.TotalSeconds * Stopwatch.Frequency);
        var loads = sessions.ToDictionary(s => s.Key, s => LoadAsync(s.Value, end), StringComparer.Ordinal);

        await DelayUntilAsync(flipAt);
        system.Flaky.Failing = true;
        // t0 is read after the flip: a call sent before it may still have been answered by the healthy backend.
        var t0 = Stopwatch.GetTimestamp();
        await DelayUntilAsync(lastSecond);
        var backendCallsBefore = system.Flaky.ToolCalls;
        await Task.WhenAll(loads.Values);
        var backendCallsInLastSecond = system.Flaky.ToolCalls - backendCallsBefore;

        var replicas = new Dictionary<string, ReplicaRun>(StringComparer.Ordinal);
        var notRefused = 0;
        foreach (var (proxy, load) in loads)
        {
            replicas[proxy] = Classify(load.Result, t0);
            notRefused += load.Result.Count(c => c.Sent >= lastSecond && c.Outcome != CallOutcome.CircuitOpen);
        }

        var trips = new Dictionary<string, GateView>(StringComparer.Ordinal);
        foreach (var proxy in BenchSystem.Proxies)
        {
            trips[proxy] = await system.GateAsync(proxy);
        }

        return new FastFailRun(replicas, backendCallsInLastSecond, notRefused, trips);
    }

    /// <summary>
    /// Load on one replica only; the idle one sends nothing, so only the monitor's transition (decided from the loaded
    /// replica's outcome reports) can open its circuit. Its <c>/health</c> is polled every <see cref="BenchSystem.PollInterval"/>.
    /// </summary>
    private async Task<OneSidedRun> RunOneSidedAsync(McpSession loaded, string idle)
    {
        var flipAt = Stopwatch.GetTimestamp() + (long)(WarmUp.TotalSeconds * Stopwatch.Frequency);
        var end = flipAt + (long)(window.TotalSeconds * Stopwatch.Frequency);
        var load = LoadAsync(loaded, end);

        await DelayUntilAsync(flipAt);
        system.Flaky.Failing = true;
        var t0 = Stopwatch.GetTimestamp();
        double? idleOpen = null;
        while (Stopwatch.GetTimestamp() < end)
        {
            if ((await system.GateAsync(idle)).State == "Open")
            {
                idleOpen = Milliseconds(t0, Stopwatch.GetTimestamp());
                break;
            }

            await Task.Delay(BenchSystem.PollInterval);
        }

        return new OneSidedRun(Classify(await load, t0), idleOpen);
    }

    private static ReplicaRun Classify(List<Call> calls, long t0)
    {
        var failing = calls.Where(c => c.Sent >= t0).OrderBy(c => c.Sent).ToList();
        var lastNotRefused = failing.FindLastIndex(c => c.Outcome != CallOutcome.CircuitOpen);
        double? fastFailing = lastNotRefused + 1 < failing.Count ? Milliseconds(t0, failing[lastNotRefused + 1].Sent) : null;
        double? firstRefusal = failing.FirstOrDefault(c => c.Outcome == CallOutcome.CircuitOpen) is { Outcome: CallOutcome.CircuitOpen } first
            ? Milliseconds(t0, first.Sent)
            : null;
        return new ReplicaRun(
            firstRefusal,
            fastFailing,
            failing.Count(c => c.Outcome != CallOutcome.CircuitOpen),
            failing.Count(c => c.Outcome == CallOutcome.CircuitOpen),
            failing.Count,
            failing.Where(c => c.Outcome != CallOutcome.CircuitOpen).CountBy(c => c.Code).ToDictionary());
    }

    /// <summary>
    /// Calls at a fixed rate from now until <paramref name="end"/>, each stamped with the moment it was actually sent:
    /// on a busy machine the loop can fall behind its schedule, and what counts here is when a call met the gate.
    /// </summary>
    private async Task<List<Call>> LoadAsync(McpSession session, long end)
    {
        var interval = Stopwatch.Frequency / (double)ratePerReplica;
        var start = Stopwatch.GetTimestamp();
        var calls = new List<Task<Call>>();
        for (var k = 0; ; k++)
        {
            var scheduled = start + (long)(k * interval);
            if (scheduled >= end)
            {
                break;
            }

            await DelayUntilAsync(scheduled);
            calls.Add(CallAsync(session));
        }

        return [.. await Task.WhenAll(calls)];
    }

    private static async Task<Call> CallAsync(McpSession session)
    {
        var sent = Stopwatch.GetTimestamp();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var answer = await session.CallToolAsync(BenchSystem.Tool, timeout.Token);
        return new Call(sent, answer.Outcome, answer.Code);
    }

    /// <summary>Heals the backend and closes every replica's breaker: isolate then reset through the monitor.</summary>
    private async Task CloseEverywhereAsync(Dictionary<string, McpSession> sessions)
    {
        system.Flaky.Failing = false;
        await system.AdminAsync("isolate");
        var reset = await system.AdminAsync("reset");
        foreach (var (proxy, session) in sessions)
        {
            await system.WaitForSequenceAsync(proxy, reset, TimeSpan.FromSeconds(10));
            var answer = await session.CallToolAsync(BenchSystem.Tool, CancellationToken.None);
            if (answer.Outcome != CallOutcome.Ok)
            {
                throw new InvalidOperationException($"{proxy} answered {answer} after the reset; the backend should be reachable.");
            }
        }
    }

    private static double Milliseconds(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;

    private static async Task DelayUntilAsync(long timestamp)
    {
        var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp);
        if (remaining > TimeSpan.Zero)
        {
            await Task.Delay(remaining);
        }
    }
}
