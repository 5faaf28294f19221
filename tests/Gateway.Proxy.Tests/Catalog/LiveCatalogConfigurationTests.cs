using System.Text.Json;
using Gateway.Proxy.Audit;
using Gateway.Proxy.Catalog;
using Gateway.Proxy.Tests.Fakes;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Proxy.Tests.Catalog;

/// <summary>The proxy with its backends in a real gateway.json, rewritten while clients list and call.</summary>
public sealed class LiveCatalogConfigurationTests : IAsyncLifetime
{
    /// <summary>Bounds a wait for a file-watcher reload so a broken watcher fails the test instead of hanging it.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    private readonly string _folder = Directory.CreateTempSubdirectory("proxy-live-catalog-").FullName;
    private readonly RecordingAuditTransport _audit = new();
    private FakeMcpServer _alpha = null!;
    private FakeMcpServer _beta = null!;

    private string FilePath => Path.Combine(_folder, "gateway.json");

    public async Task InitializeAsync()
    {
        _alpha = await FakeMcpServer.StartAsync("alpha", ["echo", "alpha-only"]);
        _beta = await FakeMcpServer.StartAsync("beta", ["echo", "beta-only"]);
    }

    public async Task DisposeAsync()
    {
        await _alpha.DisposeAsync();
        await _beta.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task A_backend_added_with_a_colliding_name_leaves_the_existing_name_callable_and_the_collision_shows_on_health_and_in_the_audit()
    {
        WriteBackends(("alpha", _alpha));
        await using var gateway = Start();
        using var http = gateway.CreateClient();
        // /health shows its checks to an authenticated caller.
        http.DefaultRequestHeaders.Add("X-Api-Key", "key-1");
        var client = new McpTestClient(gateway.CreateClient());
        await client.InitializeAsync();
        Assert.Equal(["alpha-only", "echo"], await ToolNamesAsync(client));
        Assert.Equal("Healthy", (await NamesCheckAsync(http)).GetProperty("status").GetString());

        WriteBackends(("alpha", _alpha), ("beta", _beta));
        var names = await WaitForToolsAsync(client, names => names.Contains("beta-only"));

        Assert.Equal(["alpha-only", "beta-only", "beta__echo", "echo"], names);
        Assert.Equal("alpha:echo:", Text(await client.RequestAsync("tools/call", """{"name":"echo"}""", id: 10)));
        Assert.Equal("beta:echo:", Text(await client.RequestAsync("tools/call", """{"name":"beta__echo"}""", id: 11)));
        var check = await NamesCheckAsync(http);
        Assert.Equal("Degraded", check.GetProperty("status").GetString());
        Assert.Contains("'echo' belongs to backend 'alpha'", check.GetProperty("data").GetProperty("collisions")[0].GetString(), StringComparison.Ordinal);
        var audited = await _audit.WaitForAsync(e => e.Method == CatalogCollisionReporter.AuditAction);
        Assert.Equal(("beta", "beta__echo", CatalogCollisionReporter.AuditStatus), (audited.Backend, audited.Target, audited.Status));
    }

    [Fact]
    public async Task A_removed_backend_leaves_tools_list_and_its_tools_are_unknown_without_reaching_it()
    {
        WriteBackends(("alpha", _alpha), ("beta", _beta));
        await using var gateway = Start();
        var client = new McpTestClient(gateway.CreateClient());
        await client.InitializeAsync();
        Assert.Equal(["alpha-only", "beta-only", "beta__echo", "echo"], await ToolNamesAsync(client));

        WriteBackends(("alpha", _alpha));
        var names = await WaitForToolsAsync(client, names => !names.Contains("beta-only"));
        var call = await client.RequestAsync("tools/call", """{"name":"beta-only"}""", id: 10);

        Assert.Equal(["alpha-only", "echo"], names);
        Assert.True(call.GetProperty("result").GetProperty("isError").GetBoolean());
        Assert.Equal("Unknown tool: beta-only", Text(call));
        Assert.DoesNotContain("beta-only", _beta.CalledTools);
        Assert.Equal("alpha:echo:", Text(await client.RequestAsync("tools/call", """{"name":"echo"}""", id: 11)));
    }

    [Fact]
    public async Task A_backend_moved_to_another_address_is_listed_and_called_there_from_a_session_that_used_the_old_one()
    {
        WriteBackends(("alpha", _alpha));
        await using var gateway = Start();
        var client = new McpTestClient(gateway.CreateClient());
        await client.InitializeAsync();
        Assert.Equal("alpha:echo:", Text(await client.RequestAsync("tools/call", """{"name":"echo"}""", id: 10)));

        WriteBackends(("alpha", _beta));
        var names = await WaitForToolsAsync(client, names => names.Contains("beta-only"));

        Assert.Equal(["beta-only", "echo"], names);
        Assert.Equal("beta:echo:", Text(await client.RequestAsync("tools/call", """{"name":"echo"}""", id: 11)));
        Assert.Single(_alpha.CalledTools);
    }

    /// <summary>The file's path is a host setting: the proxy reads it before the test's own configuration is added.</summary>
    private WebApplicationFactory<Program> Start() =>
        new GatewayFactory(GatewayFactory.Settings(), services: s => s.AddSingleton<IAuditTransport>(_audit))
            .WithWebHostBuilder(host => host.UseSetting("Gateway:ConfigFile", FilePath));

    /// <summary>Replaces the file in one step, so the watcher never reloads a half-written one.</summary>
    private void WriteBackends(params (string Name, FakeMcpServer Server)[] backends)
    {
        var list = string.Join(",", backends.Select(b => $$"""{ "Name": "{{b.Name}}", "Url": "{{b.Server.Url}}", "Timeout": "00:00:05" }"""));
        var next = FilePath + ".next";
        File.WriteAllText(next, $$"""{ "Gateway": { "Backends": [ {{list}} ] } }""");
        File.Move(next, FilePath, overwrite: true);
    }

    private static async Task<List<string>> WaitForToolsAsync(McpTestClient client, Func<List<string>, bool> done)
    {
        using var guard = new CancellationTokenSource(HangGuard);
        while (true)
        {
            var names = await ToolNamesAsync(client);
            if (done(names))
            {
                return names;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), guard.Token);
        }
    }

    private static async Task<List<string>> ToolNamesAsync(McpTestClient client) =>
        [.. (await client.RequestAsync("tools/list", id: 2)).GetProperty("result").GetProperty("tools").EnumerateArray()
            .Select(t => t.GetProperty("name").GetString()!).Order(StringComparer.Ordinal)];

    private static async Task<JsonElement> NamesCheckAsync(HttpClient client)
    {
        using var health = JsonDocument.Parse(await client.GetStringAsync(new Uri("/health", UriKind.Relative)));
        return health.RootElement.GetProperty("checks").EnumerateArray()
            .Single(c => c.GetProperty("name").GetString() == CatalogNamesHealthCheck.Name)
            .Clone();
    }

    private static string? Text(JsonElement response) =>
        response.GetProperty("result").GetProperty("content")[0].GetProperty("text").GetString();
}
