using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.IntegrationTests.Circuit;

/// <summary>
/// A fault-injecting Streamable HTTP MCP server in the test process (loopback, port chosen at run time): one tool
/// <c>flaky_echo</c>, <c>ping</c>, and a switch that makes every request fail with 503 until healed.
/// </summary>
public sealed class FlakyMcpServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private volatile bool _failing;
    private int _requests;

    private FlakyMcpServer(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    public bool Failing
    {
        get => _failing;
        set => _failing = value;
    }

    /// <summary>Requests received so far, failed or not.</summary>
    public int Requests => Volatile.Read(ref _requests);

    public static async Task<FlakyMcpServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FlakyMcpServer(app);
        app.MapPost("/mcp", server.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Url = new Uri(address + "/mcp");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        if (_failing)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        using var request = await JsonDocument.ParseAsync(context.Request.Body);
        var method = request.RootElement.GetProperty("method").GetString();
        var id = request.RootElement.TryGetProperty("id", out var idElement) ? idElement.GetRawText() : "null";
        context.Response.Headers["Mcp-Session-Id"] = "flaky-session";
        string? result = method switch
        {
            "initialize" => """{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"flaky","version":"1"}}""",
            "ping" => "{}",
            "tools/list" => """{"tools":[{"name":"flaky_echo","description":"Echoes","inputSchema":{"type":"object"}}]}""",
            "tools/call" => """{"content":[{"type":"text","text":"echo"}]}""",
            _ => null,
        };
        if (result is null)
        {
            context.Response.StatusCode = StatusCodes.Status202Accepted;
            return;
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync("{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":" + result + "}");
    }
}
