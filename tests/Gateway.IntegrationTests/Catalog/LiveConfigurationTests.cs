using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.AppHost.Configuration;
using Gateway.IntegrationTests.Circuit;
using Gateway.Testing;
using Xunit.Abstractions;

namespace Gateway.IntegrationTests.Catalog;

/// <summary>
/// The AppHost's gateway.json edited while the whole system runs (two proxy replicas, two monitor replicas): a
/// backend added with a colliding tool name, then removed again. How long each replica took to list the change is
/// written to the test output (README, "Live configuration"); the bound only turns a hang into a failure.
/// </summary>
[Collection(CircuitSystemTests.Name)]
public sealed class LiveConfigurationTests(CircuitSystemFixture system, ITestOutputHelper output) : IAsyncLifetime
{
    private const string Late = "late";
    private const string LateTool = Late + "__flaky_echo";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private string _original = "";

    private string FilePath => system.App.Model.Resources.OfType<GatewayConfigurationResource>().Single().FilePath;

    public async Task InitializeAsync()
    {
        system.Flaky.Failing = false;
        await system.EnsureRunningAsync();
        Assert.True((await system.AdminAsync("reset")).IsSuccessStatusCode);
        await system.WaitForProxiesAsync("Closed");
        _original = await File.ReadAllTextAsync(FilePath);
    }

    /// <summary>Puts the file back as the fixture wrote it, whatever the test did, for the collection's other tests.</summary>
    public async Task DisposeAsync()
    {
        if (_original.Length > 0 && await File.ReadAllTextAsync(FilePath) != _original)
        {
            Replace(_original);
        }
    }

    [Fact]
    public async Task A_backend_added_to_the_file_is_listed_by_both_replicas_without_renaming_the_tool_it_collides_with_and_leaves_every_service_when_removed()
    {
        await using var late = await FaultInjectingMcpServer.StartAsync();
        var sessions = new List<McpHttpSession>();
        foreach (var proxy in CircuitSystemFixture.Proxies)
        {
            var session = new McpHttpSession(system.App.CreateAdminClient(proxy), "live-config-tests");
            await session.InitializeAsync();
            Assert.Contains("flaky_echo", await ToolNamesAsync(session));
            sessions.Add(session);
        }

        var added = JsonNode.Parse(_original)!;
        added["Gateway"]!["Backends"]!.AsArray().Add(new JsonObject { ["Name"] = Late, ["Url"] = late.Url.ToString() });
        var listed = await ChangeAndMeasureAsync(added.ToJsonString(), sessions, names => names.Contains(LateTool));

        output.WriteLine($"added backend listed after: {string.Join(", ", listed.Select((t, i) => $"{CircuitSystemFixture.Proxies[i]} {t.TotalMilliseconds:0} ms"))}");
        var flakyCalls = system.Flaky.ToolCalls;
        foreach (var session in sessions)
        {
            Assert.False((await session.CallToolAsync(LateTool)).GetProperty("result").TryGetProperty("isError", out _));
            Assert.False((await session.CallToolAsync("flaky_echo")).GetProperty("result").TryGetProperty("isError", out _));
        }

        Assert.Equal(2, late.ToolCalls);
        Assert.Equal(flakyCalls + 2, system.Flaky.ToolCalls);
        foreach (var monitor in CircuitSystemFixture.Monitors)
        {
            await Eventually.TrueAsync(async () => (await BackendNamesAsync(monitor)).Contains(Late), Bound, $"{monitor} monitors {Late}");
        }

        var removed = await ChangeAndMeasureAsync(_original, sessions, names => !names.Contains(LateTool));

        output.WriteLine($"removed backend gone after: {string.Join(", ", removed.Select((t, i) => $"{CircuitSystemFixture.Proxies[i]} {t.TotalMilliseconds:0} ms"))}");
        foreach (var session in sessions)
        {
            var unknown = await session.CallToolAsync(LateTool);
            Assert.True(unknown.GetProperty("result").GetProperty("isError").GetBoolean(), unknown.GetRawText());
        }

        Assert.Equal(2, late.ToolCalls);
        foreach (var monitor in CircuitSystemFixture.Monitors)
        {
            await Eventually.TrueAsync(async () => !(await BackendNamesAsync(monitor)).Contains(Late), Bound, $"{monitor} forgets {Late}");
        }
    }

    /// <summary>Writes <paramref name="content"/> and polls every replica until <paramref name="done"/> holds there; returns each one's delay.</summary>
    private async Task<TimeSpan[]> ChangeAndMeasureAsync(string content, List<McpHttpSession> sessions, Func<List<string>, bool> done)
    {
        var clock = Stopwatch.StartNew();
        Replace(content);
        using var limit = new CancellationTokenSource(Bound);
        return await Task.WhenAll(sessions.Select(async session =>
        {
            // Polled more often than Eventually does: the delay is what this measures.
            while (!done(await ToolNamesAsync(session)))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(25), limit.Token);
            }

            return clock.Elapsed;
        }));
    }

    /// <summary>Replaces the file in one step, so no service reloads a half-written one.</summary>
    private void Replace(string content)
    {
        var next = FilePath + ".next";
        File.WriteAllText(next, content);
        File.Move(next, FilePath, overwrite: true);
    }

    private static async Task<List<string>> ToolNamesAsync(McpHttpSession session) =>
        [.. (await session.RequestAsync("tools/list", new { })).GetProperty("result").GetProperty("tools").EnumerateArray()
            .Select(t => t.GetProperty("name").GetString()!)];

    private async Task<List<string>> BackendNamesAsync(string monitor)
    {
        using var http = system.App.CreateAdminClient(monitor);
        using var document = JsonDocument.Parse(await http.GetStringAsync(new Uri("/api/backends", UriKind.Relative)));
        return [.. document.RootElement.GetProperty("backends").EnumerateArray().Select(b => b.GetProperty("name").GetString()!)];
    }
}
