using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Gateway.Proxy.Tests.Fakes;

namespace Gateway.Proxy.Tests.Stdio;

/// <summary><c>Gateway.Proxy --stdio</c> as a desktop host would run it: a real process, protocol on stdout only.</summary>
public sealed partial class StdioModeTests
{
    [Fact]
    public async Task Serves_one_client_on_stdio_keeps_health_on_http_and_exits_cleanly_when_stdin_closes()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { RepoPaths.ProxyDll, "--stdio" },
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
            Environment =
            {
                ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
                ["Gateway__AnonymousClientId"] = "desktop",
                ["Gateway__AnonymousRoles__0"] = "user",
                ["Gateway__Roles__user__Tools__0"] = "*",
                ["Gateway__Backends__0__Name"] = "local",
                ["Gateway__Backends__0__Transport"] = "Stdio",
                ["Gateway__Backends__0__Command"] = "node",
                ["Gateway__Backends__0__Args__0"] = RepoPaths.FakeStdioServer,
            },
        };
        using var process = Process.Start(start)!;
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null && ListeningOn().Match(e.Data) is { Success: true } match)
            {
                listening.TrySetResult(new Uri(match.Groups[1].Value));
            }
        };
        process.BeginErrorReadLine();
        try
        {
            await SendAsync(process, """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"desktop","version":"1"}}}""");
            var initialize = await ReadMessageAsync(process);
            await SendAsync(process, """{"jsonrpc":"2.0","method":"notifications/initialized"}""");
            await SendAsync(process, """{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"via":"stdio"}}}""");
            var call = await ReadMessageAsync(process);
            await SendAsync(process, "{broken");
            var parseError = await ReadMessageAsync(process);
            // The same edge as /mcp: unforwardable input is refused before the backend, which keeps answering.
            await SendAsync(process, """{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{"x":"\ud800"}}}""");
            var loneSurrogate = await ReadMessageAsync(process);
            await SendAsync(process, """{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"echo","arguments":[1]}}""");
            var notAnObject = await ReadMessageAsync(process);
            await SendAsync(process, """{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"echo","arguments":{"via":"still"}}}""");
            var after = await ReadMessageAsync(process);
            using var http = new HttpClient { BaseAddress = await listening.Task.WaitAsync(TimeSpan.FromSeconds(30)) };
            using var alive = await http.GetAsync("/alive");

            process.StandardInput.Close();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));

            Assert.Equal("2025-06-18", initialize.GetProperty("result").GetProperty("protocolVersion").GetString());
            Assert.Equal("""stdio:echo:{"via":"stdio"}""", call.GetProperty("result").GetProperty("content")[0].GetProperty("text").GetString());
            Assert.Equal(-32700, parseError.GetProperty("error").GetProperty("code").GetInt32());
            Assert.Equal(-32700, loneSurrogate.GetProperty("error").GetProperty("code").GetInt32());
            Assert.Equal(-32602, notAnObject.GetProperty("error").GetProperty("code").GetInt32());
            Assert.Equal(4, notAnObject.GetProperty("id").GetInt32());
            Assert.Equal("""stdio:echo:{"via":"still"}""", after.GetProperty("result").GetProperty("content")[0].GetProperty("text").GetString());
            Assert.True(alive.IsSuccessStatusCode);
            Assert.Equal(0, process.ExitCode);
            Assert.Equal("", await process.StandardOutput.ReadToEndAsync());
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private static async Task SendAsync(Process process, string line)
    {
        await process.StandardInput.WriteLineAsync(line);
        await process.StandardInput.FlushAsync();
    }

    /// <summary>
    /// The next response on stdout, skipping notifications (a catalog change may be announced). Every line must be
    /// a JSON-RPC message: stdout carries nothing else.
    /// </summary>
    private static async Task<JsonElement> ReadMessageAsync(Process process)
    {
        while (true)
        {
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.NotNull(line);
            var message = JsonDocument.Parse(line).RootElement.Clone();
            Assert.Equal("2.0", message.GetProperty("jsonrpc").GetString());
            if (message.TryGetProperty("id", out _))
            {
                return message;
            }
        }
    }

    [GeneratedRegex(@"Now listening on: (http://\S+)")]
    private static partial Regex ListeningOn();
}
