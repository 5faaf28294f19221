using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Gateway.Contracts;
using Gateway.Contracts.Messages;
using Gateway.Proxy.Mcp;
using Gateway.Proxy.Audit;
using Gateway.Proxy.Pipeline;
using Gateway.Authentication;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Proxy.Tests.Pipeline;

/// <summary>The kill-switch admin API on the real proxy host, without Redis or a bus (in-memory store, spill folder).</summary>
public sealed class AdminKillSwitchEndpointTests : IClassFixture<AdminKillSwitchEndpointTests.ProxyFactory>
{
    private const string AdminKey = "admin-key-for-tests";
    private const string AppKey = "app-key-for-tests";
    private readonly ProxyFactory _factory;

    public AdminKillSwitchEndpointTests(ProxyFactory factory) => _factory = factory;

    [Fact]
    public async Task AnonymousCallerGets401WithAJsonRpcError()
    {
        using var client = _factory.CreateClient();

        using var response = await client.PutAsJsonAsync("/admin/kill-switches/global", new { reason = "x" });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(GatewayErrorCodes.Unauthenticated, body.GetProperty("error").GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task NonAdminCallerGets403()
    {
        using var client = Client(AppKey);

        using var response = await client.PutAsJsonAsync("/admin/kill-switches/tools/echo", new { reason = "x" });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task AdminEngagesListsAndReleasesAToolSwitchThatThePipelineApplies()
    {
        using var client = Client(AdminKey);
        var pipeline = _factory.Services.GetRequiredService<CallPipeline>();
        var call = new CallContext
        {
            Method = "tools/call",
            Client = new ClientIdentity("app", ["admin"], false),
            Target = "dangerous",
            TargetKind = CatalogItemKind.Tool,
            Backend = "alpha",
        };
        var backend = new CountingBackend();

        using var engaged = await client.PutAsJsonAsync("/admin/kill-switches/tools/dangerous", new { reason = "incident 7" });
        var listed = await client.GetFromJsonAsync<JsonElement>("/admin/kill-switches");
        var refused = await pipeline.InvokeAsync(call, backend.InvokeAsync, CancellationToken.None);
        using var released = await client.DeleteAsync("/admin/kill-switches/tools/dangerous");
        using var releasedAgain = await client.DeleteAsync("/admin/kill-switches/tools/dangerous");
        var allowed = await pipeline.InvokeAsync(call, backend.InvokeAsync, CancellationToken.None);

        Assert.Equal(HttpStatusCode.OK, engaged.StatusCode);
        var entry = Assert.Single(listed.EnumerateArray(), e => e.GetProperty("name").GetString() == "dangerous");
        Assert.Equal(("tool", "ops", "incident 7"),
            (entry.GetProperty("scope").GetString(), entry.GetProperty("actor").GetString(), entry.GetProperty("reason").GetString()));
        Assert.Equal(GatewayErrorCodes.Killed, refused.ErrorCode);
        Assert.Equal(HttpStatusCode.NoContent, released.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, releasedAgain.StatusCode);
        Assert.False(allowed.IsError);
        Assert.Equal(1, backend.Calls);
    }

    [Fact]
    public async Task EveryChangeIsAuditedWithTheAdminWhoMadeIt()
    {
        using var client = Client(AdminKey);

        using var engaged = await client.PutAsJsonAsync("/admin/kill-switches/backends/beta", new { reason = "maintenance" });
        using var released = await client.DeleteAsync("/admin/kill-switches/backends/beta");

        // Without a bus the publisher keeps events in the spill folder, in order.
        var spill = _factory.Services.GetRequiredService<AuditSpillFile>();
        List<AuditEvent> admin = [];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (admin.Count < 2)
        {
            await Task.Delay(20, deadline.Token);
            admin = [.. spill.SealSegments().SelectMany(AuditSpillFile.Read).Where(e => e.Decision == AuditDecision.Admin && e.Backend == "beta")];
        }

        Assert.Equal([AuditStatus.KillSwitchEngaged, AuditStatus.KillSwitchReleased], admin.Select(e => e.Status));
        Assert.All(admin, e => Assert.Equal("ops", e.ClientId));
    }

    [Fact]
    public async Task ProviderAndModelSwitchesAreListedWithTheirScopeAndAModelNameMayHoldASlash()
    {
        using var client = Client(AdminKey);

        using var provider = await client.PutAsJsonAsync("/admin/kill-switches/providers/openai", new { reason = "bill" });
        using var model = await client.PutAsJsonAsync("/admin/kill-switches/models/org/model-1", new { reason = "recall" });
        var listed = JsonDocument.Parse(await client.GetStringAsync("/admin/kill-switches")).RootElement.EnumerateArray()
            .Select(s => (s.GetProperty("scope").GetString(), s.GetProperty("name").GetString())).ToList();
        using var released = await client.DeleteAsync("/admin/kill-switches/models/org/model-1");

        Assert.Equal(HttpStatusCode.OK, provider.StatusCode);
        Assert.Equal(HttpStatusCode.OK, model.StatusCode);
        Assert.Equal([("provider", "openai"), ("model", "org/model-1")], listed);
        Assert.Equal(HttpStatusCode.NoContent, released.StatusCode);
    }

    [Fact]
    public async Task InvalidNameIsRejectedWithAValidationProblem()
    {
        using var client = Client(AdminKey);

        using var response = await client.PutAsJsonAsync("/admin/kill-switches/tools/" + new string('x', 200), new { reason = "x" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    private HttpClient Client(string key)
    {
        var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    public sealed class ProxyFactory : WebApplicationFactory<Program>
    {
        private readonly string _spillDirectory = Path.Combine(Path.GetTempPath(), "gateway-tests", Guid.NewGuid().ToString("N"));

        protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
        {
            builder.UseSetting("Gateway:Clients:0:Id", "ops");
            builder.UseSetting("Gateway:Clients:0:KeySha256", GatewayAuth.HashKey(AdminKey));
            builder.UseSetting("Gateway:Clients:0:Roles:0", "admin");
            builder.UseSetting("Gateway:Clients:1:Id", "app");
            builder.UseSetting("Gateway:Clients:1:KeySha256", GatewayAuth.HashKey(AppKey));
            builder.UseSetting("Gateway:Clients:1:Roles:0", "reader");
            // A role with no admin rights; it must exist, or the configuration is rejected.
            builder.UseSetting("Gateway:Roles:reader:Tools:0", "*");
            builder.UseSetting("Gateway:Audit:SpillDirectory", _spillDirectory);
        }

        protected override void Dispose(bool disposing)
        {
            base.Dispose(disposing);
            if (disposing && Directory.Exists(_spillDirectory))
            {
                Directory.Delete(_spillDirectory, recursive: true);
            }
        }
    }
}
