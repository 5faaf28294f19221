using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Contracts.Messages;
using Gateway.Proxy.Mcp;
using Gateway.Proxy.Audit;
using Gateway.Proxy.Pipeline;
using Gateway.Authentication;
using MassTransit;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.IntegrationTests.Pipeline;

/// <summary>
/// Whole proxy hosts (their real wiring: Redis store, shared buckets, bus notifications, bus audit) as replicas
/// sharing the AppHost's Garnet and RabbitMQ.
/// </summary>
[Collection(PipelineInfrastructure.Name)]
public sealed class ReplicatedProxyTests(PipelineInfrastructureFixture infrastructure) : IAsyncLifetime
{
    private const string AdminKey = "replicated-admin-key";
    private readonly ConcurrentQueue<AuditEvent> _audited = new();
    private readonly List<string> _spillDirectories = [];
    private IBusControl? _auditService;

    public async Task InitializeAsync()
    {
        using var redis = infrastructure.ConnectRedis();
        await redis.GetDatabase().KeyDeleteAsync(Gateway.Proxy.Pipeline.KillSwitches.RedisKillSwitchStore.Key);
        // Stands for the audit service: a durable queue of its own, bound to the audit batches before any is published.
        var queue = "pipeline-replicas-audit-" + Guid.NewGuid().ToString("N")[..8];
        _auditService = await infrastructure.StartBusAsync(rabbit => rabbit.ReceiveEndpoint(queue, endpoint =>
            endpoint.Handler<AuditEventBatch>(context =>
            {
                foreach (var auditEvent in context.Message.Events)
                {
                    _audited.Enqueue(auditEvent);
                }

                return Task.CompletedTask;
            })));
    }

    public async Task DisposeAsync()
    {
        if (_auditService is not null)
        {
            await _auditService.StopAsync();
        }

        foreach (var directory in _spillDirectories.Where(Directory.Exists))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Kill_switch_set_on_one_replica_refuses_calls_on_another_and_survives_a_restart()
    {
        await using var replicaA = Replica();
        await using var replicaB = Replica();
        using var adminA = Admin(replicaA);
        using var adminB = Admin(replicaB);
        _ = await adminB.GetStringAsync("/admin/kill-switches"); // B is up and listening before the change

        using var engaged = await adminA.PutAsJsonAsync("/admin/kill-switches/backends/alpha", new { reason = "maintenance" });
        Assert.Equal(HttpStatusCode.OK, engaged.StatusCode);
        var pipelineB = replicaB.Services.GetRequiredService<CallPipeline>();
        await WaitUntil(async () => (await pipelineB.InvokeAsync(Call(), NeverCalled, CancellationToken.None)).ErrorCode == Gateway.Contracts.GatewayErrorCodes.Killed);

        await using var restarted = Replica();
        using var adminRestarted = Admin(restarted);
        var listed = await adminRestarted.GetFromJsonAsync<JsonElement>("/admin/kill-switches");

        var entry = Assert.Single(listed.EnumerateArray());
        Assert.Equal(("backend", "alpha", "ops"), (entry.GetProperty("scope").GetString(), entry.GetProperty("name").GetString(), entry.GetProperty("actor").GetString()));
    }

    [Fact]
    public async Task Stopping_a_replica_flushes_its_audit_events_to_the_bus()
    {
        var replica = Replica();
        using (var admin = Admin(replica))
        {
            using var engaged = await admin.PutAsJsonAsync("/admin/kill-switches/tools/deploy", new { reason = "freeze" });
            using var released = await admin.DeleteAsync("/admin/kill-switches/tools/deploy");
        }

        var pipeline = replica.Services.GetRequiredService<CallPipeline>();
        for (var i = 0; i < 25; i++)
        {
            await pipeline.InvokeAsync(Call(i.ToString(System.Globalization.CultureInfo.InvariantCulture)), Answer, CancellationToken.None);
        }

        await replica.DisposeAsync();
        await WaitUntil(() => Task.FromResult(_audited.Count(e => e.Method == "tools/call") == 25
            && _audited.Count(e => e.Decision == AuditDecision.Admin) == 2));

        Assert.All(_audited.Where(e => e.Decision == AuditDecision.Admin), e => Assert.Equal("ops", e.ClientId));
        Assert.Equal(Enumerable.Range(0, 25).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            _audited.Where(e => e.Method == "tools/call").Select(e => e.RequestId));
    }

    [Fact]
    public async Task While_Redis_is_down_changes_are_refused_with_503_and_calls_keep_the_last_snapshot()
    {
        await using var replica = Replica();
        using var admin = Admin(replica);
        using var engaged = await admin.PutAsJsonAsync("/admin/kill-switches/tools/echo", new { reason = "before the outage" });
        var pipeline = replica.Services.GetRequiredService<CallPipeline>();

        await infrastructure.App.StopResourceAsync("redis");
        HttpResponseMessage refused;
        BackendResult during;
        try
        {
            refused = await admin.DeleteAsync("/admin/kill-switches/tools/echo");
            during = await pipeline.InvokeAsync(Call(), NeverCalled, CancellationToken.None);
        }
        finally
        {
            await infrastructure.App.StartResourceAsync("redis");
        }

        using (refused)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        }

        Assert.Equal(Gateway.Contracts.GatewayErrorCodes.Killed, during.ErrorCode);
    }

    private WebApplicationFactory<CallPipeline> Replica()
    {
        var spill = Path.Combine(Path.GetTempPath(), "gateway-tests", Guid.NewGuid().ToString("N"));
        _spillDirectories.Add(spill);
        return new WebApplicationFactory<CallPipeline>().WithWebHostBuilder(web =>
        {
            web.UseSetting("ConnectionStrings:redis", infrastructure.RedisConnectionString);
            web.UseSetting("ConnectionStrings:messaging", infrastructure.MessagingUri.ToString());
            web.UseSetting("Gateway:Clients:0:Id", "ops");
            web.UseSetting("Gateway:Clients:0:KeySha256", GatewayAuth.HashKey(AdminKey));
            web.UseSetting("Gateway:Clients:0:Roles:0", "admin");
            web.UseSetting("Gateway:Audit:SpillDirectory", spill);
            web.UseSetting("Gateway:Audit:BatchDelay", "00:00:00.010");
            // Only the bus may carry the change to the other replica within the test's time.
            web.UseSetting("Gateway:KillSwitches:RefreshInterval", "01:00:00");
        });
    }

    private static HttpClient Admin(WebApplicationFactory<CallPipeline> replica)
    {
        var client = replica.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);
        return client;
    }

    private static CallContext Call(string requestId = "1") => new()
    {
        Method = "tools/call",
        Client = new ClientIdentity("ops", ["admin"], false),
        Target = "echo",
        TargetKind = CatalogItemKind.Tool,
        Backend = "alpha",
        RequestId = requestId,
    };

    private static ValueTask<BackendResult> Answer(CancellationToken cancellationToken) =>
        ValueTask.FromResult(new BackendResult("""{"content":[]}"""u8.ToArray(), false, null, false));

    private static ValueTask<BackendResult> NeverCalled(CancellationToken cancellationToken) =>
        throw new InvalidOperationException("a killed call reached the backend");

    private static async Task WaitUntil(Func<Task<bool>> condition)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!await condition())
        {
            await Task.Delay(20, deadline.Token);
        }
    }
}
