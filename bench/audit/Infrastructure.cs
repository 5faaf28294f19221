using Gateway.Testing.Aspire;

namespace Gateway.Bench.Audit;

/// <summary>
/// <c>infrastructure --engine sqlite|postgres</c>: starts the AppHost's RabbitMQ node and audit database alone
/// (Aspire's test builder: free ports, a temporary run folder), prints their connection strings and process ids, one
/// <c>name=value</c> line each, then holds them until standard input closes. This is how <c>ingest.sh</c> finds them.
/// </summary>
internal static class Infrastructure
{
    public static async Task<int> RunAsync(BenchArguments arguments)
    {
        var engine = arguments.Values.GetValueOrDefault("engine", "sqlite");
        var builder = await GatewayAppBuilder.CreateAsync(args: $"--AppHost:AuditDb={engine}");
        await using var app = await builder.Only("messaging", "auditdb").StartAsync();
        Console.WriteLine($"messaging={await app.GetConnectionStringAsync("messaging")}");
        Console.WriteLine($"auditdb={await app.GetConnectionStringAsync("auditdb")}");
        Console.WriteLine($"broker-pid={await app.ProcessIdAsync("messaging")}");
        if (engine == "postgres")
        {
            Console.WriteLine($"db-pid={await app.ProcessIdAsync("auditdb")}");
        }

        Console.WriteLine("ready");
        await Console.In.ReadToEndAsync();
        return 0;
    }
}
