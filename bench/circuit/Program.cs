using Gateway.Bench.Circuit;

// Whole-system circuit benchmarks on loopback, default settings:
//   1. monitor decision -> every proxy replica gating on it (target p99 < 50 ms);
//   2. backend starts failing -> every replica fast-failing with -32007 (target < 2 s).
// Build once: dotnet build bench/circuit -c Release
// Run:        dotnet bench/circuit/bin/Release/net10.0/CircuitPropagation.dll [--cycles 200] [--runs 5] [--one-sided-runs 3] [--rate 100] [--window 3] [--output file.md] [--json file.json]
var arguments = BenchArguments.Parse(args);
var command = "dotnet bench/circuit/bin/Release/net10.0/CircuitPropagation.dll " + string.Join(' ', args);
var report = new Report(command.TrimEnd(), Report.LoadAverage(), arguments);

Console.Error.WriteLine("starting the system (Garnet, RabbitMQ, audit, monitor, two proxies)...");
await using (var system = await BenchSystem.StartAsync())
{
    Console.Error.WriteLine("started");
    var propagation = await PropagationBenchmark.RunAsync(system, arguments.Cycles);
    var fastFail = new FastFailBenchmark(system, arguments.Rate, arguments.Window);
    await fastFail.RunAsync(arguments.Runs, arguments.OneSidedRuns, propagation);
    report.AddPropagation(propagation);
    report.AddFastFail(fastFail.Runs, arguments.Rate);
    report.AddOneSided(fastFail.OneSidedRuns);
    if (arguments.Json is { } json)
    {
        // Every sample, for bench/run's results file.
        await File.WriteAllTextAsync(json, System.Text.Json.JsonSerializer.Serialize(new
        {
            propagationMilliseconds = propagation,
            fastFailRuns = fastFail.Runs,
            oneSidedRuns = fastFail.OneSidedRuns,
        }));
    }
}

var text = report.ToString();
Console.WriteLine(text);
if (arguments.Output is { } output)
{
    // The newest run goes first; earlier ones stay below it (runs on a loaded machine are kept, marked by their load).
    var earlier = File.Exists(output) ? await File.ReadAllTextAsync(output) : "";
    await File.WriteAllTextAsync(output, text + Report.Earlier(earlier));
}
