using Gateway.AuditService.Ingestion;
using Gateway.AuditService.Storage;
using Gateway.AuditService.Tests.Infrastructure;
using Gateway.Authentication;
using MassTransit;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.AuditService.Tests.Api;

/// <summary>
/// The whole audit service in memory over a SQLite file in a temp folder, with the bus swapped for MassTransit's
/// in-memory harness. Three clients: an auditor, an admin and a plain caller.
/// </summary>
public sealed class AuditServiceFactory : WebApplicationFactory<Program>
{
    public const string AuditorKey = "auditor-key";
    public const string AdminKey = "admin-key";
    public const string CallerKey = "caller-key";

    private readonly TempDirectory _folder = new();

    internal IAuditStore Store => Services.GetRequiredService<IAuditStore>();

    public HttpClient CreateClient(string apiKey)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ConnectionStrings:auditdb", $"Data Source={_folder.File("audit.db")}");
        // Never dialled: the harness below replaces the RabbitMQ transport.
        builder.UseSetting("ConnectionStrings:messaging", "amqp://guest:guest@127.0.0.1:1/");
        // Pinned: the stats test stores events a year old, which the default 30-day window would delete.
        builder.UseSetting("Gateway:Audit:Retention:Days", "0");
        AddClient(builder, 0, "auditor-1", AuditorKey, GatewayAuth.AuditorRole);
        AddClient(builder, 1, "admin-1", AdminKey, GatewayAuth.AdminRole);
        AddClient(builder, 2, "agent-1", CallerKey, "user");
        // The caller's role grants no audit access; it must exist, or the configuration is rejected.
        builder.UseSetting("Gateway:Roles:user:Tools:0", "*");
        builder.ConfigureTestServices(services => services.AddMassTransitTestHarness(
            bus => bus.AddConsumer<AuditIngestConsumer>(typeof(AuditIngestConsumerDefinition))));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _folder.Dispose();
        }
    }

    private static void AddClient(IWebHostBuilder builder, int index, string id, string key, string role)
    {
        builder.UseSetting($"Gateway:Clients:{index}:Id", id);
        builder.UseSetting($"Gateway:Clients:{index}:KeySha256", GatewayAuth.HashKey(key));
        builder.UseSetting($"Gateway:Clients:{index}:Roles:0", role);
    }
}
