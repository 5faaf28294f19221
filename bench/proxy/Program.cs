using Gateway.Bench.Proxy;
using Gateway.Testing.Aspire;

// The tools-call scenario of bench/run: tools/call direct to the backend and through every proxy given (the gateway,
// YARP, the bare Kestrel + HttpClient forwarder, nginx), each its own process in front of the same in-process MCP
// backend, at fixed offered rates (open model), interleaved. Arguments: ToolsCallArguments; bench/run passes them.
var arguments = ToolsCallArguments.Parse(args);
var spill = Directory.CreateTempSubdirectory("tools-call-spill-");
GatewayTestApp? infrastructure = null;
var proxies = new List<ProxyProcess>();
try
{
    var connectionStrings = new Dictionary<string, string>(StringComparer.Ordinal);
    if (arguments.Infrastructure && arguments.Programs.Keys.Any(IsGateway))
    {
        // The AppHost's Garnet and RabbitMQ alone, through Aspire's test builder: the gateway runs as in production.
        Console.Error.WriteLine("starting Garnet and RabbitMQ (AppHost model)...");
        infrastructure = await (await GatewayAppBuilder.CreateAsync()).Only("redis", "messaging").StartAsync();
        connectionStrings["ConnectionStrings__redis"] = (await infrastructure.GetConnectionStringAsync("redis"))!;
        connectionStrings["ConnectionStrings__messaging"] = (await infrastructure.GetConnectionStringAsync("messaging"))!;
    }

    await using var backend = await FastBackend.StartAsync();
    var targets = new List<Target> { new("direct", "the backend itself, no proxy", backend.Url, null) };
    var descriptions = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["gateway"] = arguments.Infrastructure ? "Gateway.Proxy, full pipeline, Garnet rate limits, audit to RabbitMQ" : "Gateway.Proxy, full pipeline, no Redis or bus (audit spilled to disk)",
        ["gateway-policies-off"] = (arguments.Infrastructure ? "Gateway.Proxy, audit to RabbitMQ" : "Gateway.Proxy, audit spilled to disk")
            + ", policy stages off (Gateway:Policies:Enabled=false: no kill switch, rate limit or RBAC; circuit gate and audit on)",
        ["yarp"] = "minimal Yarp.ReverseProxy 2.3.0 app (bench/proxy-yarp)",
        ["floor"] = "bare Kestrel + HttpClient forwarder (bench/proxy-floor)",
        ["nginx"] = "nginx, one worker, keep-alive upstream (bench/proxy-nginx)",
    };
    foreach (var (name, program) in arguments.Programs)
    {
        try
        {
            var environment = IsGateway(name) ? new Dictionary<string, string>(connectionStrings) : [];
            if (name == "gateway-policies-off")
            {
                environment["Gateway__Policies__Enabled"] = "false";
            }

            var proxy = await ProxyProcess.StartAsync(program, backend.Url, spill.FullName, environment, arguments.ProxyCpus);
            proxies.Add(proxy);
            targets.Add(new Target(name, descriptions[name], proxy.Url, proxy));
        }
        catch (InvalidOperationException e)
        {
            // nginx not installed, say: the others are still measured, and the results say what was left out.
            Console.Error.WriteLine($"{name} not measured: {e.Message}");
        }
    }

    Console.Error.WriteLine("machine: wake-up lateness");
    var wakeUps = LoadGenerator.MeasureWakeUpLateness(TimeSpan.FromSeconds(Math.Min(5, arguments.Slice.TotalSeconds)));
    var clients = new List<(Target, McpTarget)>();
    foreach (var target in targets)
    {
        var client = await McpTarget.ConnectAsync(target.Url);
        Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss} {target.Name}: warm-up");
        await LoadGenerator.WarmUpAsync(client, arguments.WarmUp);
        clients.Add((target, client));
    }

    var slices = await Sweep.RunAsync(clients, arguments);
    var allocations = await Sweep.SampleAllocationsAsync(clients, arguments);
    foreach (var (_, client) in clients)
    {
        client.Dispose();
    }

    var report = new Report(arguments, targets, slices, allocations, wakeUps);
    await File.WriteAllTextAsync(arguments.Json, report.ToJson());
    await File.WriteAllTextAsync(arguments.Markdown, report.ToMarkdown());
    if (arguments.Plot is { } plot)
    {
        await File.WriteAllTextAsync(plot, report.ToGnuplot(Path.ChangeExtension(plot, ".png")));
    }

    return 0;
}
finally
{
    foreach (var proxy in proxies)
    {
        await proxy.DisposeAsync();
    }

    if (infrastructure is not null)
    {
        await infrastructure.DisposeAsync();
    }

    spill.Delete(recursive: true);
}

static bool IsGateway(string target) => target.StartsWith("gateway", StringComparison.Ordinal);
