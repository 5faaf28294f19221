using System.Net;
using System.Text.Json;
using Gateway.AppHost.Orchestration;

namespace Gateway.IntegrationTests.Foundation;

[Collection(WholeSystemTests.Name)]
public sealed class WholeSystemSmokeTests(WholeSystemFixture fixture)
{
    public static TheoryData<string> Resources => ["redis", "messaging", "auditdb", "everything", "gateway-config", "healthmonitor", "audit", "proxy", "proxy-2"];

    public static TheoryData<string, string> ServiceEndpoints => new()
    {
        { "proxy", "/alive" }, { "proxy", "/health" },
        { "proxy-2", "/alive" }, { "proxy-2", "/health" },
        { "healthmonitor", "/alive" }, { "healthmonitor", "/health" },
        { "audit", "/alive" }, { "audit", "/health" },
    };

    [Theory]
    [MemberData(nameof(Resources))]
    public async Task Every_resource_of_the_model_is_running_and_healthy(string resource)
    {
        await fixture.App.WaitForResourceHealthyAsync(resource).WaitAsync(TimeSpan.FromSeconds(60));

        var snapshot = fixture.App.GetResource(resource);
        Assert.Equal(ResourceState.Running, snapshot.State);
        Assert.Equal(HealthState.Healthy, snapshot.Health);
    }

    [Theory]
    [MemberData(nameof(ServiceEndpoints))]
    public async Task Service_health_endpoints_answer_200_with_a_json_report(string service, string path)
    {
        await fixture.App.WaitForResourceHealthyAsync(service).WaitAsync(TimeSpan.FromSeconds(60));
        using var client = fixture.App.CreateHttpClient(service);

        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var report = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("ok", report.RootElement.GetProperty("status").GetString());
        Assert.Equal("Healthy", report.RootElement.GetProperty("health").GetString());
    }

    [Fact]
    public async Task Services_receive_aspire_style_wiring_for_what_they_reference()
    {
        var proxy = fixture.App.GetEnvironment("proxy");
        var audit = fixture.App.GetEnvironment("audit");

        Assert.Equal(await fixture.App.GetConnectionStringAsync("redis"), proxy["ConnectionStrings__redis"]);
        Assert.Equal(await fixture.App.GetConnectionStringAsync("messaging"), proxy["ConnectionStrings__messaging"]);
        Assert.Equal(fixture.App.GetEndpoint("healthmonitor").ToString().TrimEnd('/'), proxy["services__healthmonitor__http__0"]);
        Assert.Equal(fixture.App.GetEndpoint("proxy").ToString().TrimEnd('/'), proxy["ASPNETCORE_URLS"]);
        Assert.Equal("proxy", proxy["OTEL_SERVICE_NAME"]);
        Assert.Equal(await fixture.App.GetConnectionStringAsync("auditdb"), audit["ConnectionStrings__auditdb"]);
        Assert.True(File.Exists(proxy["Gateway__ConfigFile"]));
        var replica = fixture.App.GetEnvironment("proxy-2");
        Assert.Equal(fixture.App.GetEndpoint("proxy-2").ToString().TrimEnd('/'), replica["ASPNETCORE_URLS"]);
        Assert.Equal("service.instance.id=proxy-2", replica["OTEL_RESOURCE_ATTRIBUTES"]);
    }

    [Fact]
    public async Task The_demo_everything_server_answers_mcp_initialize_on_loopback()
    {
        using var client = fixture.App.CreateHttpClient("everything");
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/mcp", UriKind.Relative))
        {
            Content = new StringContent(
                """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"smoke","version":"1"}}}""",
                System.Text.Encoding.UTF8,
                "application/json"),
        };
        request.Headers.Accept.ParseAdd("application/json");
        request.Headers.Accept.ParseAdd("text/event-stream");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"serverInfo\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_run_writes_an_endpoints_file_with_every_resource_and_the_admin_key()
    {
        var path = fixture.App.Layout.EndpointsFile;

        using var document = JsonDocument.Parse(await File.ReadAllTextAsync(path));

        var resources = document.RootElement.GetProperty("resources");
        foreach (var name in new[] { "redis", "messaging", "auditdb", "proxy", "healthmonitor", "audit", "everything" })
        {
            Assert.True(resources.TryGetProperty(name, out _), $"endpoints.json lacks {name}");
        }

        Assert.Equal(
            fixture.App.GetEndpoint("proxy").ToString().TrimEnd('/'),
            resources.GetProperty("proxy").GetProperty("endpoints").GetProperty("http").GetString());
        Assert.Equal(fixture.AdminApiKey, document.RootElement.GetProperty("adminApiKey").GetString());
    }

    [Fact]
    public async Task The_dashboard_lists_every_resource_with_its_state()
    {
        using var client = new HttpClient { BaseAddress = fixture.App.DashboardUrl };

        var page = await client.GetStringAsync(new Uri("/", UriKind.Relative));
        using var resources = JsonDocument.Parse(await client.GetStringAsync(new Uri("/api/resources", UriKind.Relative)));

        Assert.Contains("<title>Gateway AppHost</title>", page, StringComparison.Ordinal);
        var names = resources.RootElement.EnumerateArray().Select(r => r.GetProperty("name").GetString()).ToArray();
        Assert.Contains("proxy", names);
        Assert.Contains("messaging", names);
        Assert.All(resources.RootElement.EnumerateArray(), r => Assert.True(r.TryGetProperty("state", out _)));
    }
}
