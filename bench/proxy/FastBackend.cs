using System.Buffers;
using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Gateway.Bench.Proxy;

/// <summary>The fastest honest MCP backend: one canned answer per method, session id echoed, no logging.</summary>
internal sealed class FastBackend : IAsyncDisposable
{
    private static readonly byte[] s_initialize =
        """{"protocolVersion":"2025-11-25","capabilities":{"tools":{}},"serverInfo":{"name":"fast","version":"1"}}"""u8.ToArray();
    private static readonly byte[] s_tools = """{"tools":[{"name":"echo","inputSchema":{"type":"object"}}]}"""u8.ToArray();
    private static readonly byte[] s_call = """{"content":[{"type":"text","text":"ok"}]}"""u8.ToArray();
    private static readonly byte[] s_empty = "{}"u8.ToArray();
    private readonly WebApplication _app;

    private FastBackend(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    public static async Task<FastBackend> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPost("/mcp", HandleAsync);
        app.MapGet("/mcp", () => Results.StatusCode(405));
        app.MapDelete("/mcp", () => Results.Ok());
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new FastBackend(app, new Uri(address + "/mcp"));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static async Task HandleAsync(HttpContext http)
    {
        using var document = await System.Text.Json.JsonDocument.ParseAsync(http.Request.Body);
        var root = document.RootElement;
        if (!root.TryGetProperty("id", out var id))
        {
            http.Response.StatusCode = 202;
            return;
        }

        var method = root.GetProperty("method").GetString();
        if (method == "initialize")
        {
            http.Response.Headers["Mcp-Session-Id"] = "fast-session";
        }

        var result = method switch
        {
            "initialize" => s_initialize,
            "tools/list" => s_tools,
            "tools/call" => s_call,
            _ => s_empty,
        };
        http.Response.ContentType = "application/json";
        var writer = http.Response.BodyWriter;
        writer.Write("""{"jsonrpc":"2.0","id":"""u8);
        writer.Write(System.Text.Encoding.UTF8.GetBytes(id.GetRawText()));
        writer.Write(""","result":"""u8);
        writer.Write(result);
        writer.Write("}"u8);
        await writer.FlushAsync();
    }
}
