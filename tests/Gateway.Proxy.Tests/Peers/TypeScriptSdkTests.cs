using System.Text.Json;
using Gateway.Proxy.Tests.Fakes;

namespace Gateway.Proxy.Tests.Peers;

/// <summary>
/// The official TypeScript SDK client (peers/sdk-client.mjs) through the gateway to two server-everything
/// backends at once, one over Streamable HTTP and one over stdio.
/// </summary>
public sealed class TypeScriptSdkTests
{
    [Fact]
    public async Task Sdk_client_lists_calls_reads_gets_and_receives_notifications_through_both_backends()
    {
        await using var everything = await ServerEverythingHttp.StartAsync();
        var settings = GatewayFactory.Settings(("http", everything.Url));
        settings["Gateway:Backends:1:Name"] = "stdio";
        settings["Gateway:Backends:1:Transport"] = "Stdio";
        settings["Gateway:Backends:1:Command"] = "node";
        settings["Gateway:Backends:1:Args:0"] = RepoPaths.ServerEverything;
        settings["Gateway:Backends:1:Args:1"] = "stdio";
        settings["Gateway:Backends:1:Timeout"] = "00:00:30";
        // The same server twice: every name collides, so both show every name with their own prefix.
        settings["Gateway:Backends:0:Naming"] = "Prefixed";
        settings["Gateway:Backends:1:Naming"] = "Prefixed";
        await using var gateway = new GatewayFactory(settings, kestrel: true);

        var (exitCode, stdout, stderr) = await NodePeers.RunAsync(
            ["sdk-client.mjs", new Uri(gateway.ListeningAddress, "/mcp").ToString()], TimeSpan.FromSeconds(90));

        Assert.True(exitCode == 0, $"sdk-client.mjs exited with {exitCode}: {stderr}");
        var summary = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]).RootElement;
        var tools = summary.GetProperty("tools").EnumerateArray().Select(t => t.GetString()).ToList();
        Assert.Contains("http__echo", tools);
        Assert.Contains("stdio__echo", tools);
        Assert.Equal("Echo: via http", summary.GetProperty("echoHttp").GetString());
        Assert.Equal("Echo: via stdio", summary.GetProperty("echoStdio").GetString());
        Assert.Equal([1, 2], summary.GetProperty("progressHttp").GetProperty("progress").EnumerateArray().Select(p => p.GetInt32()));
        Assert.Equal([1, 2], summary.GetProperty("progressStdio").GetProperty("progress").EnumerateArray().Select(p => p.GetInt32()));
        Assert.True(summary.GetProperty("resourceCount").GetInt32() > 0);
        Assert.Equal(1, summary.GetProperty("read").GetInt32());
        Assert.NotEmpty(summary.GetProperty("templates").EnumerateArray());
        Assert.Contains("stdio__args-prompt", summary.GetProperty("prompts").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal(1, summary.GetProperty("promptHttp").GetInt32());
        Assert.Equal(1, summary.GetProperty("promptStdio").GetInt32());
        Assert.True(summary.GetProperty("logs").GetInt32() >= 2, "logging notifications from both backends");
        Assert.Equal(1, summary.GetProperty("samplingRequests").GetInt32());
        Assert.Contains("sampled by the sdk client", summary.GetProperty("sampling").GetString(), StringComparison.Ordinal);
    }
}
