using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using HdrHistogram;

namespace Gateway.Bench.Llm;

/// <summary>
/// Collects the figures and writes <c>&lt;date&gt;-llm.json</c> and <c>.md</c>: the machine, the exact command,
/// raw percentiles per target and per round, the added time to first event, throughput ratio and memory slope, each
/// beside issue 14's target (recorded, never asserted).
/// </summary>
internal sealed class LlmReport(LlmBenchArguments arguments, string[] commandLine)
{
    private const long HighestMicroseconds = 60_000_000;
    private static readonly string[] Targets = ["direct", "gateway", "yarp"];

    private readonly Dictionary<string, LongHistogram> _firstEvent = Targets.ToDictionary(t => t, _ => new LongHistogram(HighestMicroseconds, 3), StringComparer.Ordinal);
    private readonly Dictionary<string, (int Errors, int Requests, TimeSpan Cpu)> _streams = Targets.ToDictionary(t => t, _ => (0, 0, TimeSpan.Zero), StringComparer.Ordinal);
    private readonly Dictionary<string, (long Completed, long Errors, double Seconds)> _throughput = Targets.ToDictionary(t => t, _ => (0L, 0L, 0.0), StringComparer.Ordinal);
    private readonly JsonArray _rounds = [];
    private readonly Dictionary<(int Round, string Target), (long P50, long P99)> _roundStreams = [];
    private readonly Dictionary<(int Round, string Target), double> _roundThroughput = [];
    private readonly DateTime _started = DateTime.UtcNow;
    private string _loadStart = "", _loadEnd = "";
    private JsonObject _memory = [];
    private string _memoryLine = "";

    public void LoadAtStart() => _loadStart = LoadAverage();

    public void LoadAtEnd() => _loadEnd = LoadAverage();

    public void AddStreams(string target, int round, StreamSlice slice, TimeSpan proxyCpu, int requests)
    {
        var roundHistogram = new LongHistogram(HighestMicroseconds, 3);
        foreach (var microseconds in slice.FirstEventMicroseconds)
        {
            var value = Math.Clamp(microseconds, 1, HighestMicroseconds);
            _firstEvent[target].RecordValue(value);
            roundHistogram.RecordValue(value);
        }

        var (errors, total, cpu) = _streams[target];
        _streams[target] = (errors + slice.Errors, total + requests, cpu + proxyCpu);
        _roundStreams[(round, target)] = (roundHistogram.TotalCount == 0 ? 0 : roundHistogram.GetValueAtPercentile(50),
            roundHistogram.TotalCount == 0 ? 0 : roundHistogram.GetValueAtPercentile(99));
        _rounds.Add(new JsonObject
        {
            ["round"] = round + 1, ["target"] = target, ["kind"] = "stream", ["errors"] = slice.Errors,
            ["firstEventUs"] = Percentiles(roundHistogram),
        });
    }

    public void AddThroughput(string target, int round, long completed, long errors, double seconds)
    {
        var (c, e, s) = _throughput[target];
        _throughput[target] = (c + completed, e + errors, s + seconds);
        _roundThroughput[(round, target)] = completed / seconds;
        _rounds.Add(new JsonObject
        {
            ["round"] = round + 1, ["target"] = target, ["kind"] = "throughput", ["errors"] = errors,
            ["requestsPerSecond"] = Math.Round(completed / seconds, 1),
        });
    }

    /// <summary>Resident set samples (requests sent so far, bytes) over the memory run.</summary>
    public void AddMemory(List<(int Requests, long Bytes)> samples, int errors)
    {
        samples.Sort((a, b) => a.Requests.CompareTo(b.Requests));
        var total = arguments.MemoryRequests;
        // The first and the last thousand requests (half each when fewer than two thousand are sent, as in --smoke).
        var window = Math.Min(1000, total / 2);
        var first = samples.Where(s => s.Requests <= window).Average(s => s.Bytes);
        var last = samples.Where(s => s.Requests >= total - window).Average(s => s.Bytes);
        // Least squares: bytes per request, reported per thousand requests.
        var meanX = samples.Average(s => (double)s.Requests);
        var meanY = samples.Average(s => (double)s.Bytes);
        var slope = samples.Sum(s => (s.Requests - meanX) * (s.Bytes - meanY)) / samples.Sum(s => (s.Requests - meanX) * (s.Requests - meanX));
        var peak = samples.Max(s => s.Bytes);
        _memory = new JsonObject
        {
            ["requests"] = total, ["errors"] = errors, ["window"] = window,
            ["firstWindowMeanMiB"] = Round(first / Mebibyte), ["lastWindowMeanMiB"] = Round(last / Mebibyte),
            ["changePercent"] = Round((last - first) * 100 / first), ["slopeKiBPer1000Requests"] = Round(slope * 1000 / 1024),
            ["peakMiB"] = Round(peak / Mebibyte),
            ["samples"] = new JsonArray(samples.Select(s => (JsonNode)new JsonArray(s.Requests, Round(s.Bytes / Mebibyte))).ToArray()),
        };
        _memoryLine = string.Create(CultureInfo.InvariantCulture,
            $"| gateway resident set over {total:N0} streamed requests (`VmRSS`, {samples.Count} samples) | first {window:N0}: {first / Mebibyte:0.0} MiB, last {window:N0}: {last / Mebibyte:0.0} MiB ({(last - first) * 100 / first:+0.0;-0.0} %), slope {slope * 1000 / 1024:+0.0;-0.0} KiB per 1,000 requests, peak {peak / Mebibyte:0.0} MiB | flat | {(Math.Abs(last - first) / first < 0.05 ? "✓ (within 5 %)" : "✗ (moved more than 5 %)")} |");
    }

    /// <summary>Writes both files; returns their paths.</summary>
    public (string Markdown, string Json) Write(string folder)
    {
        var basePath = Path.Combine(folder, $"{_started:yyyy-MM-dd}-llm");
        var command = "dotnet build bench/llm -c Release && dotnet bench/llm/bin/Release/net10.0/LlmBench.dll" +
            string.Concat(commandLine.Select(a => " " + a));
        var machine = Machine();
        var added = new JsonObject();
        foreach (var proxy in new[] { "gateway", "yarp" })
        {
            added[proxy] = new JsonObject
            {
                ["p50Us"] = Added(proxy, 50), ["p90Us"] = Added(proxy, 90), ["p99Us"] = Added(proxy, 99),
            };
        }

        var rps = Targets.ToDictionary(t => t, t => _throughput[t].Completed / Math.Max(_throughput[t].Seconds, 1e-9), StringComparer.Ordinal);
        var ratio = rps["gateway"] / rps["yarp"];
        var json = new JsonObject
        {
            ["scenario"] = "llm",
            ["smoke"] = arguments.Smoke,
            ["when"] = _started.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
            ["command"] = command,
            ["machine"] = machine,
            ["loadAverage"] = new JsonObject { ["start"] = _loadStart, ["end"] = _loadEnd },
            ["settings"] = JsonSerializer.SerializeToNode(arguments),
            ["results"] = new JsonObject
            {
                ["firstEventUs"] = new JsonObject(Targets.Select(t => KeyValuePair.Create(t, (JsonNode?)Streams(t)))),
                ["addedFirstEventUs"] = added,
                ["throughput"] = new JsonObject(Targets.Select(t => KeyValuePair.Create(t, (JsonNode?)new JsonObject
                {
                    ["requestsPerSecond"] = Round(rps[t]), ["completed"] = _throughput[t].Completed, ["errors"] = _throughput[t].Errors,
                }))),
                ["gatewayToYarpThroughput"] = Round(ratio, 3),
                ["gatewayToDirectThroughput"] = Round(rps["gateway"] / rps["direct"], 3),
                ["memory"] = _memory,
                ["rounds"] = _rounds,
            },
        };
        File.WriteAllText(basePath + ".json", json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");

        var md = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        md.AppendLine("# llm").AppendLine();
        md.AppendLine(inv, $"Recorded by `{command}` on {json["when"]}{(arguments.Smoke ? " (SMOKE: figures meaningless)" : "")}.").AppendLine();
        md.AppendLine(inv, $"Machine: {machine["cores"]} cores ({machine["model"]}), {machine["memoryGiB"]} GiB, {machine["os"]}, kernel {machine["kernel"]}, {machine["dotnet"]}.");
        md.AppendLine(inv, $"Load average (`/proc/loadavg`) at the start of the measured rounds: {_loadStart}; at the end: {_loadEnd} (on {machine["cores"]} cores, a load above {machine["cores"]} means other work competed for the CPU).").AppendLine();
        md.AppendLine(inv, $"Three processes beside this generator: the fake provider (`demo/Gateway.FakeProvider`), the gateway (`Gateway.Proxy`, one client, one OpenAI-kind provider, one model, no Redis or bus: audit spilled to disk) and YARP 2.3.0 (`bench/llm-yarp`, `/v1/{{**rest}}` to the fake), all on the same cores. Streams: {arguments.Rounds} rounds × {arguments.RoundSeconds} s at {arguments.Rate}/s per target, interleaved (rotated order), after {arguments.WarmUpSeconds} s of warm-up each; time to first event measured from each request's scheduled send time (open model, no coordinated omission) to the end of the first server-sent event. The same request to each (8 words → 12 events with usage). Throughput: non-streamed completions, {arguments.Concurrency} callers in a closed loop, {arguments.Rounds} × {arguments.ThroughputSeconds} s per target, interleaved.").AppendLine();
        md.AppendLine("| target | requests | errors | p50 µs | p90 µs | p99 µs | p99.9 µs | max µs | CPU µs per stream (its own process) |");
        md.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var t in Targets)
        {
            var h = _firstEvent[t];
            var (errors, requests, cpu) = _streams[t];
            md.AppendLine(inv, $"| {t}{(t == "direct" ? " (fake provider's CPU)" : "")} | {requests:N0} | {errors} | {h.GetValueAtPercentile(50):N0} | {h.GetValueAtPercentile(90):N0} | {h.GetValueAtPercentile(99):N0} | {h.GetValueAtPercentile(99.9):N0} | {h.GetMaxValue():N0} | {cpu.TotalMicroseconds / Math.Max(requests, 1):N0} |");
        }

        md.AppendLine().AppendLine("| figure | measured | target | |").AppendLine("| --- | --- | --- | --- |");
        md.AppendLine(inv, $"| time to first event added by the gateway, p50 | {Added("gateway", 50):+0;-0} µs (YARP {Added("yarp", 50):+0;-0} µs) | < 300 µs | {Verdict(50, 300)} |");
        md.AppendLine(inv, $"| time to first event added by the gateway, p99 | {Added("gateway", 99):+0;-0} µs (YARP {Added("yarp", 99):+0;-0} µs) | < 1,500 µs | {Verdict(99, 1500)} |");
        md.AppendLine(inv, $"| non-streamed throughput, gateway / YARP | {ratio:P1} ({rps["gateway"]:N0} vs {rps["yarp"]:N0} requests/s; direct {rps["direct"]:N0}) | ≥ 90 % | {(ratio >= 0.9 ? "✓" : "✗")} |");
        md.AppendLine(_memoryLine);
        md.AppendLine().AppendLine("Per round (interleaved slices; added = that round's proxy percentile minus that round's direct one):").AppendLine();
        md.AppendLine("| round | direct p50 / p99 µs | gateway added p50 / p99 µs | YARP added p50 / p99 µs | throughput gateway / YARP | gateway, YARP, direct requests/s |");
        md.AppendLine("| --- | --- | --- | --- | --- | --- |");
        for (var round = 0; round < arguments.Rounds; round++)
        {
            var d = _roundStreams[(round, "direct")];
            var g = _roundStreams[(round, "gateway")];
            var y = _roundStreams[(round, "yarp")];
            md.AppendLine(inv, $"| {round + 1} | {d.P50:N0} / {d.P99:N0} | {g.P50 - d.P50:+0;-0} / {g.P99 - d.P99:+0;-0} | {y.P50 - d.P50:+0;-0} / {y.P99 - d.P99:+0;-0} | {_roundThroughput[(round, "gateway")] / _roundThroughput[(round, "yarp")]:P1} | {_roundThroughput[(round, "gateway")]:N0}, {_roundThroughput[(round, "yarp")]:N0}, {_roundThroughput[(round, "direct")]:N0} |");
        }

        md.AppendLine().AppendLine("Added = the percentile through the proxy minus the same percentile direct (a difference of percentiles, not a percentile of differences). Per-round percentiles are in the .json (`results.rounds`).");
        File.WriteAllText(basePath + ".md", md.ToString());
        return (basePath + ".md", basePath + ".json");
    }

    private const double Mebibyte = 1024 * 1024;

    // A difference smaller than the noise of the direct calls themselves says nothing: when the direct percentile
    // alone exceeds the target several times over (a loaded machine), the verdict says so instead of a ✓.
    private string Verdict(double percentile, long targetMicroseconds)
    {
        var direct = _firstEvent["direct"].GetValueAtPercentile(percentile);
        if (direct > 4 * targetMicroseconds)
        {
            return string.Create(CultureInfo.InvariantCulture, $"not measurable here: direct p{percentile} alone is {direct:N0} µs");
        }

        return Added("gateway", percentile) < targetMicroseconds ? "✓" : "✗";
    }

    private long Added(string proxy, double percentile) =>
        _firstEvent[proxy].GetValueAtPercentile(percentile) - _firstEvent["direct"].GetValueAtPercentile(percentile);

    private JsonObject Streams(string target)
    {
        var (errors, requests, cpu) = _streams[target];
        var node = Percentiles(_firstEvent[target]);
        node["requests"] = requests;
        node["errors"] = errors;
        node["cpuUsPerStream"] = Round(cpu.TotalMicroseconds / Math.Max(requests, 1));
        return node;
    }

    private static JsonObject Percentiles(LongHistogram h) => new()
    {
        ["count"] = h.TotalCount,
        ["p50"] = h.TotalCount == 0 ? null : h.GetValueAtPercentile(50),
        ["p90"] = h.TotalCount == 0 ? null : h.GetValueAtPercentile(90),
        ["p99"] = h.TotalCount == 0 ? null : h.GetValueAtPercentile(99),
        ["p999"] = h.TotalCount == 0 ? null : h.GetValueAtPercentile(99.9),
        ["max"] = h.TotalCount == 0 ? null : h.GetMaxValue(),
    };

    private static JsonObject Machine()
    {
        var cpuModel = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
        var memKb = long.Parse(File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        var os = File.Exists("/etc/os-release")
            ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?["PRETTY_NAME=".Length..].Trim('"')
            : null;
        return new JsonObject
        {
            ["cores"] = Environment.ProcessorCount,
            ["model"] = cpuModel,
            ["memoryGiB"] = Round(memKb / 1048576.0, 1),
            ["os"] = os ?? RuntimeInformation.OSDescription,
            ["kernel"] = File.Exists("/proc/sys/kernel/osrelease") ? File.ReadAllText("/proc/sys/kernel/osrelease").Trim() : Environment.OSVersion.VersionString,
            ["dotnet"] = RuntimeInformation.FrameworkDescription,
        };
    }

    private static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    private static double Round(double value, int digits = 1) => Math.Round(value, digits);
}
