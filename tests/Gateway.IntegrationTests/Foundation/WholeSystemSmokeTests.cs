using System.Net;
using System.Text.Json;
using Aspire.Hosting.ApplicationModel;
using Gateway.Testing;

namespace Gateway.IntegrationTests.Foundation;

[Collection(WholeSystemTests.Name)]
public sealed class WholeSystemSmokeTests(WholeSystemFixture fixture)
{
    public static TheoryData<string> Processes => ["redis", "messaging", "messaging-epmd", "everything", "llm-primary", "llm-secondary", "healthmonitor", "audit", "proxy"];

    public static TheoryData<string, string> ServiceEndpoints => new()
    {
        { "proxy", "/alive" }, { "proxy", "/health" },
        { "healthmonitor", "/alive" }, { "healthmonitor", "/health" },
        { "audit", "/alive" }, { "audit", "/health" },
    };

    [Theory]
    [MemberData(nameof(Processes))]
    public async Task Every_process_of_the_model_is_running_and_healthy(string resource)
    {
        await fixture.App.WaitForHealthyAsync(resource);

        var snapshot = await fixture.App.SnapshotAsync(resource);
        Assert.Equal(KnownResourceStates.Running, snapshot.State?.Text);
        Assert.NotNull(await fixture.App.ProcessIdAsync(resource));
    }

    [Fact]
    public async Task The_audit_database_is_a_sqlite_file_in_the_run_folder()
    {
        var connectionString = await fixture.App.GetConnectionStringAsync("auditdb");

        Assert.StartsWith("Data Source=", connectionString, StringComparison.Ordinal);
        Assert.EndsWith(Path.Combine("auditdb", "audit.db"), connectionString, StringComparison.Ordinal);
        Assert.True(File.Exists(connectionString!["Data Source=".Length..]), "the audit service created the database file");
    }

    [Theory]
    [MemberData(nameof(ServiceEndpoints))]
    public async Task Service_health_endpoints_answer_200(string service, string path)
    {
        using var client = fixture.App.CreateHttpClient(service);

        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await HealthOfAsync(response));
    }

    [Fact]
    public async Task Services_receive_aspire_style_wiring_for_what_they_reference()
    {
        var proxy = await fixture.App.EnvironmentAsync("proxy");
        var audit = await fixture.App.EnvironmentAsync("audit");

        Assert.Equal(await fixture.App.GetConnectionStringAsync("redis"), proxy["ConnectionStrings__redis"]);
        Assert.Equal(await fixture.App.GetConnectionStringAsync("messaging"), proxy["ConnectionStrings__messaging"]);
        Assert.StartsWith("http://", proxy["services__healthmonitor__http__0"], StringComparison.Ordinal);
        Assert.Equal("proxy", proxy["OTEL_SERVICE_NAME"]);
        Assert.Equal(await fixture.App.GetConnectionStringAsync("auditdb"), audit["ConnectionStrings__auditdb"]);
        Assert.True(File.Exists(proxy["Gateway__ConfigFile"]));
        Assert.DoesNotContain(fixture.App.AdminKey, await File.ReadAllTextAsync(proxy["Gateway__ConfigFile"]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_mcp_client_initializes_and_calls_a_tool_of_the_demo_backend_through_the_proxy_and_the_call_is_audited()
    {
        using var http = fixture.App.CreateAdminClient("proxy");
        using var session = new McpHttpSession(http, "smoke");
        await session.InitializeAsync();

        var tools = await session.RequestAsync("tools/list", new { });
        var echo = await session.RequestAsync("tools/call", new { name = "everything__echo", arguments = new { message = "smoke" } });

        Assert.Contains(tools.GetProperty("result").GetProperty("tools").EnumerateArray(), t => t.GetProperty("name").GetString() == "everything__echo");
        Assert.Contains("smoke", echo.GetProperty("result").GetProperty("content")[0].GetProperty("text").GetString(), StringComparison.Ordinal);
        var audited = await fixture.App.WaitForAuditAsync(e => e.GetProperty("method").GetString() == "tools/call" && e.GetProperty("target").GetString() == "everything__echo");
        Assert.Equal("ok", audited.GetProperty("status").GetString());
    }

    [Fact]
    public async Task One_tools_call_is_one_trace_from_the_proxy_through_the_backend_call_to_the_audit_service_storing_it()
    {
        using var http = fixture.App.CreateAdminClient("proxy");
        using var session = new McpHttpSession(http, "trace");
        await session.InitializeAsync();
        await session.RequestAsync("tools/call", new { name = "everything__echo", arguments = new { message = "traced" } });
        using var dashboard = await fixture.App.CreateDashboardApiClientAsync(fixture.DashboardApiKey);

        // The audit service stores the event after the call returned, and each service exports its spans in batches:
        // wait until one trace holds the whole chain.
        var chain = await Eventually.ValueAsync(async () =>
        {
            using var traces = JsonDocument.Parse(await dashboard.GetStringAsync(new Uri("/api/telemetry/traces?resource=proxy&limit=50", UriKind.Relative)));
            foreach (var traceId in TraceIds(traces.RootElement).Distinct())
            {
                using var trace = JsonDocument.Parse(await dashboard.GetStringAsync(new Uri($"/api/telemetry/traces/{traceId}", UriKind.Relative)));
                var spans = Spans(trace.RootElement).ToList();
                if (TraceChain.All(link => spans.Any(s => s.Service == link.Service && s.Name.Contains(link.Name, StringComparison.Ordinal))))
                {
                    return spans;
                }
            }

            return null;
        }, what: "one trace from the proxy's request to the audit service's store");

        Assert.All(TraceChain, link => Assert.Contains(chain, s => s.Service == link.Service && s.Name.Contains(link.Name, StringComparison.Ordinal)));
    }

    /// <summary>The spans one tools/call leaves, in order: request, backend call, audit publish and send, consume, store.</summary>
    private static readonly (string Service, string Name)[] TraceChain =
    [
        ("proxy", "POST /mcp"),
        ("proxy", "POST"),
        ("proxy", "audit publish"),
        ("proxy", " send"),
        ("audit", " process"),
        ("audit", "audit store"),
    ];

    private static async Task<string?> HealthOfAsync(HttpResponseMessage response)
    {
        using var report = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return report.RootElement.TryGetProperty("health", out var health) ? health.GetString() : report.RootElement.GetProperty("status").GetString();
    }

    private static IEnumerable<string> TraceIds(JsonElement root) => Spans(root).Select(s => s.TraceId);

    private static IEnumerable<(string TraceId, string Name, string Service)> Spans(JsonElement root)
    {
        foreach (var resourceSpans in root.GetProperty("data").GetProperty("resourceSpans").EnumerateArray())
        {
            var service = resourceSpans.GetProperty("resource").GetProperty("attributes").EnumerateArray()
                .Single(a => a.GetProperty("key").GetString() == "service.name").GetProperty("value").GetProperty("stringValue").GetString()!;
            foreach (var scope in resourceSpans.GetProperty("scopeSpans").EnumerateArray())
            {
                foreach (var span in scope.GetProperty("spans").EnumerateArray())
                {
                    yield return (span.GetProperty("traceId").GetString()!, span.GetProperty("name").GetString()!, service);
                }
            }
        }
    }
}
