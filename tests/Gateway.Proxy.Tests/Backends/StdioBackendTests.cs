using System.Diagnostics;
using System.Text.Json;
using Gateway.Contracts;
using Gateway.Proxy.Extensions;
using Gateway.Proxy.Tests.Fakes;

namespace Gateway.Proxy.Tests.Backends;

/// <summary>MCP servers run as child processes: launch settings, crash and restart, and cleanup with the proxy.</summary>
public sealed class StdioBackendTests : IAsyncLifetime
{
    private readonly string _workingDirectory = Directory.CreateTempSubdirectory("gateway-stdio-").FullName;
    private GatewayFactory _gateway = null!;

    public Task InitializeAsync()
    {
        var settings = GatewayFactory.Settings();
        settings["Gateway:Backends:0:Name"] = "local";
        settings["Gateway:Backends:0:Transport"] = "Stdio";
        settings["Gateway:Backends:0:Command"] = "node";
        settings["Gateway:Backends:0:Args:0"] = RepoPaths.FakeStdioServer;
        settings["Gateway:Backends:0:Env:FAKE_VAR"] = "from-config";
        settings["Gateway:Backends:0:WorkingDirectory"] = _workingDirectory;
        settings["Gateway:Backends:0:Timeout"] = "00:00:10";
        _gateway = new GatewayFactory(settings);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        Directory.Delete(_workingDirectory, recursive: true);
    }

    private async Task<McpTestClient> ConnectAsync()
    {
        var client = new McpTestClient(_gateway.CreateClient());
        await client.InitializeAsync();
        return client;
    }

    [Fact]
    public async Task Child_process_gets_the_configured_arguments_environment_and_directory()
    {
        var client = await ConnectAsync();

        var echo = await client.RequestAsync("tools/call", """{"name":"echo","arguments":{"n":1}}""");
        var who = await WhoAmIAsync(client, id: 2);

        Assert.Equal("""stdio:echo:{"n":1}""", Text(echo));
        Assert.Equal("from-config", who.GetProperty("fake").GetString());
        Assert.Equal(Path.GetFullPath(_workingDirectory), Path.GetFullPath(who.GetProperty("cwd").GetString()!));
    }

    [Fact]
    public async Task Child_process_does_not_inherit_the_inline_socket_completions_the_proxy_set_for_itself()
    {
        var client = await ConnectAsync();

        var who = await WhoAmIAsync(client, id: 2);

        Assert.Equal("1", Environment.GetEnvironmentVariable(InlineIoExtensions.InlineCompletionsVariable));
        Assert.Equal(JsonValueKind.Null, who.GetProperty("inlineCompletions").ValueKind);
    }

    [Fact]
    public async Task Crashed_child_fails_the_call_in_flight_and_is_started_again()
    {
        var client = await ConnectAsync();
        var before = (await WhoAmIAsync(client, id: 1)).GetProperty("pid").GetInt32();

        var crash = await client.RequestAsync("tools/call", """{"name":"exit"}""", id: 2);
        var after = (await WhoAmIAsync(client, id: 3)).GetProperty("pid").GetInt32();

        Assert.Equal(GatewayErrorCodes.BackendUnavailable, crash.GetProperty("error").GetProperty("code").GetInt32());
        Assert.NotEqual(before, after);
    }

    [Fact]
    public async Task Child_processes_are_killed_with_the_proxy()
    {
        var client = await ConnectAsync();
        var pid = (await WhoAmIAsync(client, id: 1)).GetProperty("pid").GetInt32();

        await _gateway.DisposeAsync();

        // The kill is a signal: give the kernel and the runtime's child reaping a bounded moment to finish.
        for (var attempt = 0; attempt < 100 && !HasExited(pid); attempt++)
        {
            await Task.Delay(50);
        }

        Assert.True(HasExited(pid));
    }

    private static async Task<JsonElement> WhoAmIAsync(McpTestClient client, int id) =>
        JsonDocument.Parse(Text(await client.RequestAsync("tools/call", """{"name":"whoami"}""", id))!).RootElement.Clone();

    private static bool HasExited(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited;
        }
        catch (ArgumentException)
        {
            return true;
        }
    }

    private static string? Text(JsonElement response) =>
        response.GetProperty("result").GetProperty("content")[0].GetProperty("text").GetString();
}
