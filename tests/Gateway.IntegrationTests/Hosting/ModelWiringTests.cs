using Gateway.AppHost;
using Gateway.AppHost.Hosting;
using Gateway.AppHost.Resources;
using Gateway.AppHost.Testing;
using Gateway.Contracts.Configuration;
using Microsoft.Extensions.Configuration;

namespace Gateway.IntegrationTests.Hosting;

/// <summary>The model and its wiring, checked without starting anything (Build allocates ports only).</summary>
public sealed class ModelWiringTests
{
    [Fact]
    public async Task References_inject_connection_strings_and_service_urls_the_aspire_way()
    {
        var builder = DistributedApplication.CreateBuilder([]);
        builder.Options.RandomPorts = true;
        builder.Options.RunDirectory = Directory.CreateTempSubdirectory("gateway-test-").FullName;
        builder.Options.DeleteRunDirectory = true;
        var cache = builder.AddResource("cache", ResourceKind.Container).WithTcpEndpoint()
            .WithConnectionString(context => $"127.0.0.1:{context.Port("tcp")}");
        var api = builder.AddResource("api", ResourceKind.Project).WithHttpEndpoint();
        var web = builder.AddResource("web", ResourceKind.Project).WithHttpEndpoint()
            .WithReference(cache).WithReference(api).WithEnvironment("EXTRA", "1");
        await using var app = builder.Build();
        var context = ContextOf(app, "web");

        var environment = ResourceEnvironment.Build(context);

        Assert.Equal($"127.0.0.1:{app.GetEndpoint("cache", "tcp").Port}", environment["ConnectionStrings__cache"]);
        Assert.Equal(app.GetEndpoint("api").ToString().TrimEnd('/'), environment["services__api__http__0"]);
        Assert.Equal("1", environment["EXTRA"]);
        Assert.False(environment.ContainsKey("services__cache__tcp__0"));
    }

    [Fact]
    public async Task Start_only_brings_in_everything_the_named_resources_depend_on()
    {
        var builder = GatewayTestingBuilder.Create().StartOnly("audit");
        await using var app = builder.Build();

        Assert.Equal(
            ["audit", "auditdb", "gateway-config", "messaging"],
            app.Resources.Select(r => r.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Replicas_run_as_separately_named_resources_on_their_own_ports()
    {
        var builder = GatewayTestingBuilder.Create().WithReplicas("proxy", 2);
        await using var app = builder.Build();

        Assert.Contains(app.Resources, r => r.Name == "proxy-2");
        Assert.NotEqual(app.GetEndpoint("proxy").Port, app.GetEndpoint("proxy-2").Port);
    }

    [Fact]
    public async Task Every_proxy_replica_gets_the_runtime_settings_only_the_environment_can_carry()
    {
        var builder = GatewayTestingBuilder.Create().WithReplicas("proxy", 2);
        await using var app = builder.Build();

        foreach (var replica in new[] { "proxy", "proxy-2" })
        {
            var environment = ResourceEnvironment.Build(ContextOf(app, replica));
            Assert.Equal("0x2000000", environment["DOTNET_GCgen0size"]);
        }
    }

    [Fact]
    public async Task The_gateway_config_names_the_demo_backends_and_stores_only_the_admin_key_hash()
    {
        var builder = GatewayTestingBuilder.Create()
            .ConfigureGateway(options => options.RateLimits.ClientBurst = 7);
        await using var app = builder.Build();
        var options = builder.Model.GatewayConfig.Build(ContextOf(app, "gateway-config"));

        var http = Assert.Single(options.Backends, b => b.Name == "everything");
        Assert.Equal(new Uri(app.GetEndpoint("everything"), "/mcp"), http.Url);
        var stdio = Assert.Single(options.Backends, b => b.Name == "everything-stdio");
        Assert.Equal(BackendTransport.Stdio, stdio.Transport);
        Assert.Equal("stdio", stdio.Args[^1]);
        var admin = Assert.Single(options.Clients);
        Assert.Equal(GatewayConfigFile.Sha256Hex(builder.AdminApiKey), admin.KeySha256);
        Assert.DoesNotContain(builder.AdminApiKey, admin.KeySha256, StringComparison.Ordinal);
        Assert.Equal(7, options.RateLimits.ClientBurst);
    }

    [Fact]
    public void An_existing_redis_connection_string_replaces_garnet()
    {
        var builder = GatewayTestingBuilder.Create(configuration => configuration.AddInMemoryCollection(
            new Dictionary<string, string?> { ["ConnectionStrings:redis"] = "redis.example:6379" }));

        Assert.Equal(ResourceKind.Value, builder.Model.Redis.Resource.Kind);
        Assert.Null(builder.Model.Redis.Resource.Launch);
    }

    [Fact]
    public void Postgres_is_the_audit_database_when_asked_for()
    {
        var builder = GatewayTestingBuilder.Create(configuration => configuration.AddInMemoryCollection(
            new Dictionary<string, string?> { ["AppHost:AuditDb"] = "postgres" }));

        Assert.Equal(ResourceKind.Container, builder.Model.AuditDb.Resource.Kind);
        Assert.NotNull(builder.Model.AuditDb.Resource.Launch);
    }

    [Fact]
    public void Services_have_the_documented_stable_ports()
    {
        var model = GatewayTestingBuilder.Create().Model;

        Assert.Equal(5080, model.Proxy.Resource.Endpoints.Single().StablePort);
        Assert.Equal(5081, model.HealthMonitor.Resource.Endpoints.Single().StablePort);
        Assert.Equal(5082, model.Audit.Resource.Endpoints.Single().StablePort);
    }

    private static ResourceContext ContextOf(DistributedApplication app, string name) => app.ContextOf(name);
}
