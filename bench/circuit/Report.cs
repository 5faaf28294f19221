using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Gateway.Bench.Circuit;

/// <summary>The results file: machine, command, method, and both benchmarks' figures against their targets.</summary>
internal sealed class Report
{
    private const double PropagationTarget = 50;
    private const double FastFailTarget = 2000;
    private readonly StringBuilder _text = new();

    public Report(string command, string loadAtStart, BenchArguments arguments)
    {
        var c = CultureInfo.InvariantCulture;
        _text.AppendLine("# Circuit propagation across proxy replicas");
        _text.AppendLine();
        _text.AppendLine(c, $"Recorded by `bench/circuit` on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC.");
        _text.AppendLine();
        _text.AppendLine(c, $"- Machine: {Environment.ProcessorCount} cores (`nproc`), {CpuModel()}, .NET SDK {DotnetVersion()} (`dotnet --version`)");
        _text.AppendLine(c, $"- Load average (`uptime`) at the start: {loadAtStart}; at the end: LOAD_AT_END (on {Environment.ProcessorCount} cores, a load above {Environment.ProcessorCount} means other work competed for the CPU)");
        _text.AppendLine("- Build (once): `dotnet build bench/circuit -c Release` (builds the AppHost and, through it, the services in Release)");
        _text.AppendLine(c, $"- Command (builds nothing): `{command}`");
        _text.AppendLine(c, $"- Settings: every circuit, monitor and reporting default (breaker 5 consecutive failures, outcome reports every 250 ms, probes every 5 s), rate limits raised out of the way; {arguments.Cycles} isolate/reset cycles after {PropagationBenchmark.WarmUpCycles} not counted; {arguments.Runs} fast-fail runs at {arguments.Rate} calls/s per replica and {arguments.OneSidedRuns} with load on one replica, {arguments.Window.TotalSeconds:0.#} s each");
        _text.AppendLine();
        _text.AppendLine("""
            The AppHost model runs as in production, on free loopback ports: Garnet, RabbitMQ, the audit service, the
            demo MCP servers, one health monitor and two proxy replicas (`proxy`, `proxy-2`) as their own processes;
            the fault-injecting MCP backend `flaky` runs in the benchmark process.
            """);
        _text.AppendLine();
    }

    public void AddPropagation(Dictionary<string, ReplicaPropagation> replicas)
    {
        var c = CultureInfo.InvariantCulture;
        _text.AppendLine("## Monitor decision → every replica gating on it (target p99 < 50 ms)");
        _text.AppendLine();
        _text.AppendLine("""
            Each transition carries the monitor's decision time (`CircuitStateChanged.At`, read from its `TimeProvider`
            when the breaker decided, before the Redis commit and the publish). Each proxy replica stamps the moment
            its breaker applied the transition (from then on every call gates on it), records the difference in the
            histogram `gateway.circuit.propagation` and shows the last one per backend on `/health`
            (`circuit-gate` → `transitions`). Both stamps come from the same host clock. The benchmark reads them back
            once `/health` shows the transition's sequence. *Manual*: isolate and reset through
            `POST /api/backends/flaky/isolate|reset`; *automatic*: the monitor's own trip during the fast-fail runs.
            *External* is an upper bound seen from outside: from sending the admin request to `/health` showing the
            transition (adds the admin round trip and up to one 20 ms poll interval).
            """);
        _text.AppendLine();
        _text.AppendLine("| replica | kind | samples | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) |");
        _text.AppendLine("| --- | --- | --- | --- | --- | --- | --- |");
        foreach (var (proxy, samples) in replicas)
        {
            foreach (var (kind, values) in new[]
            {
                ("manual", samples.Manual),
                ("automatic", samples.Automatic),
                ("all", samples.Manual.Concat(samples.Automatic).ToList()),
                ("external (upper bound)", samples.External),
            })
            {
                var p = new Percentiles(values);
                _text.AppendLine(c, $"| {proxy} | {kind} | {p.Count} | {p.P50:0.0} | {p.P90:0.0} | {p.P99:0.0} | {p.Max:0.0} |");
            }
        }

        var all = new Percentiles(replicas.Values.SelectMany(r => r.Manual.Concat(r.Automatic)));
        var superseded = replicas.Values.Sum(r => r.Superseded);
        _text.AppendLine();
        _text.AppendLine(c, $"Every replica: p99 {all.P99:0.0} ms, max {all.Max:0.0} ms over {all.Count} samples: target p99 < 50 ms {(all.P99 < PropagationTarget ? "met" : "NOT met")}. Transitions superseded before they could be read: {superseded}.");
        _text.AppendLine();
    }

    public void AddFastFail(List<FastFailRun> runs, int ratePerReplica)
    {
        var c = CultureInfo.InvariantCulture;
        _text.AppendLine("## Backend starts failing → every replica fast-failing with -32007 (target < 2 s, default settings)");
        _text.AppendLine();
        _text.AppendLine(c, $"""
            Open-loop load of {ratePerReplica} `tools/call`/s on each replica (one MCP session each, calls sent on schedule
            whatever the previous ones do). At t0 the backend starts answering 503 to everything. Per replica, by the
            moment each call was actually sent: *first -32007* is the first refused call; *fast-failing from* is the
            first call from which every later call on that replica was refused with -32007 (so the gate no longer calls
            the backend), both from t0. The two differ when concurrent requests reach the gate out of the order they
            were sent (a busy machine, new connections): the second is the conservative figure, and the one judged.
            *Through* counts calls after t0 that were not refused (they reached the failing backend). The last column
            checks that refused calls stay away from the backend: `tools/call` requests the backend received during
            the window's last second / calls sent in that second that the gateway did not refuse.
            """);
        _text.AppendLine();
        _text.AppendLine("| run | replica | first -32007 (ms) | fast-failing from (ms) | through (by code) | refused | calls | backend calls in last s / not refused |");
        _text.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- |");
        for (var i = 0; i < runs.Count; i++)
        {
            foreach (var (proxy, r) in runs[i].Replicas)
            {
                _text.AppendLine(c, $"| {i + 1} | {proxy} | {Format(r.FirstRefusalMilliseconds)} | {Format(r.FastFailingMilliseconds)} | {r.FailedThrough} ({string.Join(", ", r.ThroughByCode.Select(k => $"{k.Key}: {k.Value}"))}) | {r.Refused} | {r.Calls} | {runs[i].BackendCallsInLastSecond} / {runs[i].NotRefusedInLastSecond} |");
            }
        }

        var worst = runs.SelectMany(r => r.Replicas.Values).Select(r => r.FastFailingMilliseconds ?? double.PositiveInfinity).DefaultIfEmpty(double.PositiveInfinity).Max();
        _text.AppendLine();
        _text.AppendLine(c, $"Max over runs and replicas: {Format(double.IsPositiveInfinity(worst) ? null : worst)} ms: target < 2 s {(worst < FastFailTarget ? "met" : "NOT met")}.");
        _text.AppendLine();
        _text.AppendLine("""
            How: with the defaults a replica under load trips its own breaker after 5 consecutive failures (about 50 ms
            at 100 calls/s); calls already in flight when the backend flips can trip it even sooner. The monitor adds
            up every replica's outcome reports (sent at most every 250 ms) and opens the circuit on all of them, which
            is what protects a replica with little traffic of its own (next table).
            """);
        _text.AppendLine();
    }

    public void AddOneSided(List<OneSidedRun> runs)
    {
        var c = CultureInfo.InvariantCulture;
        _text.AppendLine("### The same with load on one replica only (the monitor's path)");
        _text.AppendLine();
        _text.AppendLine("""
            With load on both replicas each trips its own local breaker. Here only `proxy` sends calls; `proxy-2`
            sends none, so only the monitor's transition, decided from `proxy`'s outcome reports, can open its circuit.
            *Idle replica Open* is from t0 to `proxy-2`'s `/health` showing the circuit Open (polled every 20 ms,
            so up to 20 ms late).
            """);
        _text.AppendLine();
        _text.AppendLine("| run | `proxy` fast-failing from (ms) | `proxy-2` (no traffic) Open after (ms) |");
        _text.AppendLine("| --- | --- | --- |");
        for (var i = 0; i < runs.Count; i++)
        {
            _text.AppendLine(c, $"| {i + 1} | {Format(runs[i].Loaded.FastFailingMilliseconds)} | {Format(runs[i].IdleOpenMilliseconds)} |");
        }

        var worst = runs.Select(r => r.IdleOpenMilliseconds ?? double.PositiveInfinity).DefaultIfEmpty(double.PositiveInfinity).Max();
        _text.AppendLine();
        _text.AppendLine(c, $"Max for the idle replica: {Format(double.IsPositiveInfinity(worst) ? null : worst)} ms: {(worst < FastFailTarget ? "under" : "NOT under")} 2 s.");
        _text.AppendLine();
    }

    public override string ToString() =>
        _text.ToString().Replace("LOAD_AT_END", LoadAverage(), StringComparison.Ordinal);

    /// <summary>A previous results file, its headings one level down, to keep below the newest run.</summary>
    public static string Earlier(string previous)
    {
        if (string.IsNullOrWhiteSpace(previous))
        {
            return "";
        }

        var demoted = previous.Split('\n').Select(line => line.StartsWith('#') ? "#" + line : line);
        return "---\n\n# Earlier runs\n\n" + string.Join('\n', demoted).TrimEnd() + "\n";
    }

    public static string LoadAverage() =>
        string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    private static string Format(double? milliseconds) =>
        milliseconds is { } value ? value.ToString("0", CultureInfo.InvariantCulture) : "never";

    private static string CpuModel() =>
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";

    private static string DotnetVersion()
    {
        using var process = Process.Start(new ProcessStartInfo("dotnet", "--version") { RedirectStandardOutput = true })!;
        var version = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        return version;
    }
}
