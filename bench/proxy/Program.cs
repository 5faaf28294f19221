using Gateway.Testing.Aspire;
using Gateway.Bench.Proxy;

// Added latency of tools/call through the gateway versus calling the backend directly, at a fixed rate with
// latency measured from each call's scheduled start (no coordinated omission), then maximum throughput.
// Usage: dotnet run -c Release -- <path to Gateway.Proxy.dll> [rate=1000] [seconds=20] [concurrency=32] [warm-up seconds=10] [full|standalone]
// full (default): the gateway uses Garnet (shared rate limits: token leases fetched with a Lua script) and RabbitMQ (audit events),
// started here through the AppHost model, as in production. standalone: neither (per-replica limits, audit on disk).
var proxyDll = args.Length > 0 ? Path.GetFullPath(args[0]) : throw new ArgumentException("path to Gateway.Proxy.dll required");
var rate = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1000;
var seconds = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 20;
var concurrency = args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 32;

// Long enough for tiered compilation to finish rejitting the hot path on 2 busy cores: after 3 s the gateway was
// still compiling (a third of its CPU in the JIT), which a long-running gateway does once, not per call.
var warmUp = TimeSpan.FromSeconds(args.Length > 4 ? int.Parse(args[4], System.Globalization.CultureInfo.InvariantCulture) : 10);

var mode = args.Length > 5 ? args[5] : "full";
if (mode is not ("full" or "standalone"))
{
    throw new ArgumentException("mode must be full or standalone");
}

var spill = Directory.CreateTempSubdirectory("proxy-bench-spill-");
GatewayTestApp? infrastructure = null;
try
{
    var connectionStrings = new Dictionary<string, string>(StringComparer.Ordinal);
    if (mode == "full")
    {
        // The AppHost's Garnet and RabbitMQ alone, through Aspire's test builder.
        infrastructure = await (await GatewayAppBuilder.CreateAsync()).Only("redis", "messaging").StartAsync();
        connectionStrings["ConnectionStrings__redis"] = (await infrastructure.GetConnectionStringAsync("redis"))!;
        connectionStrings["ConnectionStrings__messaging"] = (await infrastructure.GetConnectionStringAsync("messaging"))!;
    }

    await using var backend = await FastBackend.StartAsync();
    await using var gateway = await GatewayProcess.StartAsync(proxyDll, backend.Url, spill.FullName, connectionStrings);
    var report = new Report(rate, seconds, concurrency);
    Progress("machine", "wake-up lateness");
    var wakeUps = LoadGenerator.MeasureWakeUpLateness(TimeSpan.FromSeconds(5));
    report.Add("machine-wake-up-lateness-p50-us", wakeUps.P50);
    report.Add("machine-wake-up-lateness-p99-us", wakeUps.P99);
    report.Add("machine-wake-up-lateness-max-us", wakeUps.Max);
    report.Add("machine-wake-ups-over-0.5-ms-late-per-1000", wakeUps.OverHalfMillisecondPerThousand);

    foreach (var (name, url) in new[] { ("direct", backend.Url), ("gateway", gateway.Url) })
    {
        using var target = await McpTarget.ConnectAsync(url);
        Progress(name, "warm-up");
        await LoadGenerator.WarmUpAsync(target, warmUp);
        Progress(name, "fixed rate");
        var cpuBefore = gateway.CpuTime;
        var (gcBefore, pauseBefore) = (GC.CollectionCount(0), GC.GetTotalPauseDuration());
        var fixedRate = await LoadGenerator.FixedRateAsync(target, rate, TimeSpan.FromSeconds(seconds),
            name == "gateway" ? gateway.SampleWorkingSet : null);
        Console.Error.WriteLine($"bench process during {name} fixed rate: {GC.CollectionCount(0) - gcBefore} GCs, {(GC.GetTotalPauseDuration() - pauseBefore).TotalMilliseconds:0.0} ms paused, server GC {System.Runtime.GCSettings.IsServerGC}");
        if (name == "gateway")
        {
            // CPU the gateway process spent per call at the fixed rate: unlike wall-clock percentiles, it barely
            // depends on what else runs on the machine.
            report.Add("gateway-cpu-us-per-call", (gateway.CpuTime - cpuBefore).TotalMicroseconds / fixedRate.Count);
        }

        Progress(name, "max throughput");
        var throughput = await LoadGenerator.MaxThroughputAsync(target, concurrency, TimeSpan.FromSeconds(seconds / 2.0));
        report.Add(name, fixedRate, throughput);
    }

    report.Add("gateway-working-set-peak-mb", gateway.PeakWorkingSet / 1024.0 / 1024.0);
    Console.WriteLine($"mode: {mode}");
    Console.WriteLine(report.ToMarkdown());
}
finally
{
    if (infrastructure is not null)
    {
        await infrastructure.DisposeAsync();
    }

    spill.Delete(recursive: true);
}

// Phases on stderr, so a profiler can be attached to the gateway during its fixed-rate phase.
static void Progress(string target, string phase) =>
    Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {target}: {phase}");
