using System.Security.Cryptography;
using System.Text;
using Gateway.Bench.Llm;

// The LLM route against the local fake provider (issue 14's targets), each target measured in the same run,
// interleaved so drift hits all alike: streamed chat completions at a fixed rate (time to first event, direct vs
// through the gateway vs through YARP), plain chat completions in a closed loop (throughput, gateway/YARP), and the
// gateway's resident set over 10,000 streamed requests. Usage and results: bench/llm/README.md.
var arguments = LlmBenchArguments.Parse(args);
var root = arguments.Root ?? FindRoot();
// The projects this bench built with itself, in its own configuration (bin/<configuration>/net10.0/).
var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
string Built(string project, string dll) => Path.Combine(root, project, "bin", configuration, "net10.0", dll);
var results = arguments.Results ?? (arguments.Smoke ? Directory.CreateTempSubdirectory("llm-bench-smoke-").FullName : Path.Combine(root, "bench", "results"));
var report = new LlmReport(arguments, Environment.GetCommandLineArgs().Skip(1).ToArray());

var spill = Directory.CreateTempSubdirectory("llm-bench-spill-");
// As the AppHost runs every proxy replica; given to all three processes so they differ only in what they do.
var gen0 = new Dictionary<string, string>(StringComparer.Ordinal) { ["DOTNET_GCgen0size"] = "0x2000000" };
try
{
    await using var fake = await ServiceProcess.StartAsync("fake provider", Built("demo/Gateway.FakeProvider", "Gateway.FakeProvider.dll"),
        new Dictionary<string, string>(gen0, StringComparer.Ordinal) { ["FakeProvider__Name"] = "fake" });
    await using var gateway = await ServiceProcess.StartAsync("gateway", Built("Gateway.Proxy", "Gateway.Proxy.dll"), GatewayEnvironment(fake.Url, spill.FullName));
    await using var yarp = await ServiceProcess.StartAsync("yarp", Built("bench/llm-yarp", "LlmYarpForwarder.dll"),
        new Dictionary<string, string>(gen0, StringComparer.Ordinal) { ["Provider__Url"] = fake.Url.ToString() });

    // The process whose CPU each target's requests cost besides the provider's.
    using var direct = new ChatTarget("direct", fake.Url);
    using var throughGateway = new ChatTarget("gateway", gateway.Url);
    using var throughYarp = new ChatTarget("yarp", yarp.Url);
    ChatTarget[] targets = [direct, throughGateway, throughYarp];
    var proxyOf = new Dictionary<ChatTarget, ServiceProcess> { [direct] = fake, [throughGateway] = gateway, [throughYarp] = yarp };

    foreach (var target in targets)
    {
        // Fails fast (with the status) when a target is misconfigured, before any figure is taken.
        await target.StreamAsync();
        await target.CompleteAsync();
    }

    var perSlice = (int)(arguments.Rate * arguments.RoundSeconds);
    foreach (var target in targets)
    {
        Progress($"{target.Name}: warm-up");
        await ChatLoad.FixedRateAsync(target, arguments.Rate, (int)(arguments.Rate * arguments.WarmUpSeconds) + 1);
        await ChatLoad.ClosedLoopAsync(target, arguments.Concurrency, TimeSpan.FromSeconds(arguments.WarmUpSeconds / 2));
    }

    report.LoadAtStart();
    for (var round = 0; round < arguments.Rounds; round++)
    {
        // Rotated each round, so no target always follows the same one.
        var order = targets.Skip(round % targets.Length).Concat(targets.Take(round % targets.Length)).ToArray();
        foreach (var target in order)
        {
            Progress($"round {round + 1}/{arguments.Rounds} {target.Name}: {perSlice} streams at {arguments.Rate}/s");
            var cpuBefore = proxyOf[target].CpuTime();
            var slice = await ChatLoad.FixedRateAsync(target, arguments.Rate, perSlice);
            report.AddStreams(target.Name, round, slice, proxyOf[target].CpuTime() - cpuBefore, perSlice);
        }

        foreach (var target in order)
        {
            Progress($"round {round + 1}/{arguments.Rounds} {target.Name}: closed loop, {arguments.Concurrency} callers");
            var (completed, errors, seconds) = await ChatLoad.ClosedLoopAsync(target, arguments.Concurrency, TimeSpan.FromSeconds(arguments.ThroughputSeconds));
            report.AddThroughput(target.Name, round, completed, errors, seconds);
        }
    }

    Progress($"gateway: {arguments.MemoryRequests} streams at {arguments.Rate}/s, resident set sampled");
    var samples = new List<(int Requests, long Bytes)>();
    var memory = await ChatLoad.FixedRateAsync(throughGateway, arguments.Rate, arguments.MemoryRequests,
        sampleEvery: Math.Max(1, arguments.MemoryRequests / 100), sample: reached =>
        {
            var bytes = gateway.ResidentBytes();
            lock (samples)
            {
                samples.Add((reached, bytes));
            }
        });
    report.AddMemory(samples, memory.Errors);
    report.LoadAtEnd();

    Directory.CreateDirectory(results);
    var (markdown, json) = report.Write(results);
    Console.WriteLine(File.ReadAllText(markdown));
    Console.Error.WriteLine($"results: {markdown}, {json}");
}
finally
{
    spill.Delete(recursive: true);
}

Dictionary<string, string> GatewayEnvironment(Uri provider, string spillDirectory) => new(gen0, StringComparer.Ordinal)
{
    ["Gateway__Audit__SpillDirectory"] = spillDirectory,
    // One client with one key, allowed every model, never rate limited: a refusal would be measured as a fast answer.
    ["Gateway__Clients__0__Id"] = "bench",
    ["Gateway__Clients__0__KeySha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ChatTarget.ClientKey))),
    ["Gateway__Clients__0__Roles__0"] = "bench",
    ["Gateway__Roles__bench__Models__0"] = "*",
    ["Gateway__RateLimits__ClientPerSecond"] = "1000000",
    ["Gateway__RateLimits__ClientBurst"] = "1000000",
    ["Gateway__Providers__0__Name"] = "fake",
    ["Gateway__Providers__0__Kind"] = "OpenAI",
    ["Gateway__Providers__0__BaseUrl"] = new Uri(provider, "v1").ToString(),
    ["Gateway__Models__0__Name"] = ChatTarget.Model,
    ["Gateway__Models__0__Targets__0__Provider"] = "fake",
    ["Gateway__Models__0__Targets__0__Model"] = "fake-gpt",
};

static string FindRoot()
{
    for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
    {
        if (File.Exists(Path.Combine(folder.FullName, "Gateway.sln")))
        {
            return folder.FullName;
        }
    }

    throw new InvalidOperationException("Gateway.sln not found above the bench: pass --root");
}

// Phases on stderr, the results on stdout.
static void Progress(string phase) => Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {phase}");
