using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.HealthMonitor.Tests.Fixtures;

/// <summary>
/// A tiny Streamable HTTP MCP server on a loopback port chosen at run time: answers <c>initialize</c> (with a
/// session id), <c>notifications/initialized</c> and <c>ping</c> (as an SSE event, like many SDK servers), and can be
/// told to fail every request with 503 to simulate an outage.
/// </summary>
public sealed class FakeMcpBackend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private volatile bool _failing;
    private int _pings;
    private int _initializes;

    private FakeMcpBackend(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    public bool Failing
    {
        get => _failing;
        set => _failing = value;
    }

    public int Pings => Volatile.Read(ref _pings);

    public int Initializes => Volatile.Read(ref _initializes);

    public static async Task<FakeMcpBackend> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var backend = new FakeMcpBackend(app);
        app.MapPost("/mcp", backend.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        backend.Url = new Uri(address + "/mcp");
        return backend;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        if (_failing)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        using var request = await JsonDocument.ParseAsync(context.Request.Body);
        var method = request.RootElement.GetProperty("method").GetString();
        var id = request.RootElement.TryGetProperty("id", out var idElement) ? idElement.GetRawText() : null;
        switch (method)
        {
            case "initialize":
                Interlocked.Increment(ref _initializes);
                context.Response.Headers["Mcp-Session-Id"] = "session-1";
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync(
                    "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"serverInfo\":{\"name\":\"fake\",\"version\":\"1\"}}}");
                break;
            case "notifications/initialized":
                context.Response.StatusCode = StatusCodes.Status202Accepted;
                break;
            case "ping" when context.Request.Headers["Mcp-Session-Id"] != "session-1":
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                break;
            case "ping":
                Interlocked.Increment(ref _pings);
                context.Response.ContentType = "text/event-stream";
                await context.Response.WriteAsync("event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":{}}\n\n");
                break;
            default:
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                break;
        }
    }
}
