using System.Text.Json;
using Gateway.Proxy.Tests.Fakes;

namespace Gateway.Proxy.Tests.Peers;

/// <summary>
/// The MCP conformance suite (@modelcontextprotocol/conformance, server scenarios) against server-everything
/// directly and through the gateway: the gateway passes every scenario the server passes on its own, and the
/// gateway's own scenarios.
/// </summary>
public sealed class ConformanceTests : IDisposable
{
    private static readonly string[] s_gatewayScenarios = ["server-initialize", "ping", "tools-list", "logging-set-level", "dns-rebinding-protection"];
    private readonly string _output = Directory.CreateTempSubdirectory("gateway-conformance-").FullName;

    public void Dispose() => Directory.Delete(_output, recursive: true);

    [Fact]
    public async Task Gateway_passes_every_scenario_server_everything_passes_directly_and_its_own()
    {
        await using var everything = await ServerEverythingHttp.StartAsync();
        await using var gateway = new GatewayFactory(GatewayFactory.Settings(("everything", everything.Url)), kestrel: true);

        var direct = await RunSuiteAsync(everything.Url, "direct");
        var proxied = await RunSuiteAsync(new Uri(gateway.ListeningAddress, "/mcp"), "gateway");

        Assert.Contains(direct, s => s.Value);
        var regressions = direct.Where(s => s.Value && !proxied.GetValueOrDefault(s.Key)).Select(s => s.Key).ToList();
        Assert.True(regressions.Count == 0, "Pass directly but fail through the gateway: " + string.Join(", ", regressions));
        var failing = s_gatewayScenarios.Where(s => !proxied.GetValueOrDefault(s)).ToList();
        Assert.True(failing.Count == 0, "Gateway scenarios failing: " + string.Join(", ", failing));
    }

    /// <summary>Runs every server scenario; returns scenario → passed (no check failed).</summary>
    private async Task<Dictionary<string, bool>> RunSuiteAsync(Uri url, string name)
    {
        var output = Path.Combine(_output, name);
        var (_, stdout, stderr) = await NodePeers.RunAsync(
            [RepoPaths.Conformance, "server", "--url", url.ToString(), "-o", output], TimeSpan.FromMinutes(5), _output);
        var results = new Dictionary<string, bool>(StringComparer.Ordinal);
        Assert.True(Directory.Exists(output), $"conformance wrote no results: {stdout} {stderr}");
        foreach (var directory in Directory.GetDirectories(output, "server-*"))
        {
            var scenario = ScenarioName(Path.GetFileName(directory));
            var checks = Path.Combine(directory, "checks.json");
            if (!File.Exists(checks))
            {
                results[scenario] = false;
                continue;
            }

            using var document = JsonDocument.Parse(await File.ReadAllTextAsync(checks));
            results[scenario] = document.RootElement.EnumerateArray()
                .All(check => check.GetProperty("status").GetString() is not ("FAILURE" or "ERROR"));
        }

        return results;
    }

    /// <summary><c>server-tools-list-2026-11-22T08-05-27-350Z</c> → <c>tools-list</c>.</summary>
    private static string ScenarioName(string directory)
    {
        var withoutPrefix = directory["server-".Length..];
        var stamp = System.Text.RegularExpressions.Regex.Match(withoutPrefix, @"-\d{4}-\d{2}-\d{2}T");
        return stamp.Success ? withoutPrefix[..stamp.Index] : withoutPrefix;
    }
}
