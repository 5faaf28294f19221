using Gateway.Bench.Proxy;

// Added latency of tools/call through the gateway versus calling the backend directly, at a fixed rate with
// latency measured from each call's scheduled start (no coordinated omission), then maximum throughput.
// Usage: dotnet run -c Release -- <path to Gateway.Proxy.dll> [rate=1000] [seconds=20] [concurrency=32]
var proxyDll = args.Length > 0 ? Path.GetFullPath(args[0]) : throw new ArgumentException("path to Gateway.Proxy.dll required");
var rate = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1000;
var seconds = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 20;
var concurrency = args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 32;

await using var backend = await FastBackend.StartAsync();
await using var gateway = await GatewayProcess.StartAsync(proxyDll, backend.Url);
var report = new Report(rate, seconds, concurrency);

foreach (var (name, url) in new[] { ("direct", backend.Url), ("gateway", gateway.Url) })
{
    using var target = await McpTarget.ConnectAsync(url);
    await LoadGenerator.WarmUpAsync(target, TimeSpan.FromSeconds(3));
    var fixedRate = await LoadGenerator.FixedRateAsync(target, rate, TimeSpan.FromSeconds(seconds),
        name == "gateway" ? gateway.SampleWorkingSet : null);
    var throughput = await LoadGenerator.MaxThroughputAsync(target, concurrency, TimeSpan.FromSeconds(seconds / 2.0));
    report.Add(name, fixedRate, throughput);
}

report.Add("gateway-working-set-peak-mb", gateway.PeakWorkingSet / 1024.0 / 1024.0);
Console.WriteLine(report.ToMarkdown());
