using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Gateway.IntegrationTests.Pipeline;

/// <summary>
/// A stateless Streamable HTTP MCP backend in the test process whose one tool, <c>slow_echo</c>, answers after
/// <see cref="Delay"/>, so a proxy under load always has calls in flight.
/// </summary>
public sealed class SlowMcpServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SlowMcpServer(WebApplication app, Uri url, TimeSpan delay)
    {
        _app = app;
        Url = url;
        Delay = delay;
    }

    public Uri Url { get; }

    public TimeSpan Delay { get; }

    public static async Task<SlowMcpServer> StartAsync(TimeSpan delay)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPost("/mcp", context => HandleAsync(context, delay));
        app.MapGet("/mcp", () => Results.StatusCode(StatusCodes.Status405MethodNotAllowed));
        app.MapDelete("/mcp", () => Results.Ok());
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new SlowMcpServer(app, new Uri(address + "/mcp"), delay);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static async Task HandleAsync(HttpContext context, TimeSpan delay)
    {
        using var request = await JsonDocument.ParseAsync(context.Request.Body);
        if (!request.RootElement.TryGetProperty("id", out var id))
        {
            context.Response.StatusCode = StatusCodes.Status202Accepted;
            return;
        }

        var result = request.RootElement.GetProperty("method").GetString() switch
        {
            "initialize" => """{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"slow","version":"1"}}""",
            "tools/list" => """{"tools":[{"name":"slow_echo","inputSchema":{"type":"object"}}]}""",
            "tools/call" => """{"content":[{"type":"text","text":"done"}]}""",
            _ => "{}",
        };
        if (result.Contains("done", StringComparison.Ordinal))
        {
            // Not the request's token: the proxy going away must not cut a call short from this side.
            await Task.Delay(delay, CancellationToken.None);
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync($$$"""{"jsonrpc":"2.0","id":{{{id.GetRawText()}}},"result":{{{result}}}}""");
    }
}
