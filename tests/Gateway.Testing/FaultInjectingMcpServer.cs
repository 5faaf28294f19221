using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Testing;

/// <summary>
/// A fault-injecting Streamable HTTP MCP server in the test process (loopback, port chosen at run time). It issues a
/// session on <c>initialize</c>, answers <c>ping</c> as an SSE event (like many SDK servers) and only within that
/// session (404 otherwise, as after a restart, so probes must re-initialize), serves one tool <c>flaky_echo</c>, and can be told to fail every
/// request with 503 until healed, or to answer tool calls slowly so that a proxy under load always has calls in flight.
/// </summary>
public sealed class FaultInjectingMcpServer : IAsyncDisposable
{
    private const string SessionId = "session-1";
    private readonly WebApplication _app;
    private volatile bool _failing;
    private long _toolCallDelayTicks;
    private int _requests;
    private int _initializes;
    private int _pings;
    private int _toolCalls;

    private FaultInjectingMcpServer(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    public bool Failing
    {
        get => _failing;
        set => _failing = value;
    }

    /// <summary>
    /// How long each <c>tools/call</c> takes to answer. The wait ignores the request's cancellation: a caller going away
    /// (a proxy shutting down) must not cut a call short from this side. Default: none.
    /// </summary>
    public TimeSpan ToolCallDelay
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _toolCallDelayTicks));
        set => Interlocked.Exchange(ref _toolCallDelayTicks, value.Ticks);
    }

    /// <summary>Requests received so far, failed or not.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>The <c>Authorization</c> header of every request ("" when none was sent).</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Authorizations { get; } = new();

    /// <summary><c>initialize</c> requests answered.</summary>
    public int Initializes => Volatile.Read(ref _initializes);

    /// <summary><c>ping</c> requests answered.</summary>
    public int Pings => Volatile.Read(ref _pings);

    /// <summary><c>tools/call</c> requests received so far, failed or not (probes are pings, so they do not count).</summary>
    public int ToolCalls => Volatile.Read(ref _toolCalls);

    public static async Task<FaultInjectingMcpServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FaultInjectingMcpServer(app);
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
        Authorizations.Enqueue(context.Request.Headers.Authorization.ToString());
        using var request = await JsonDocument.ParseAsync(context.Request.Body);
        var method = request.RootElement.GetProperty("method").GetString();
        if (method == "tools/call")
        {
            Interlocked.Increment(ref _toolCalls);
            if (ToolCallDelay > TimeSpan.Zero)
            {
                await Task.Delay(ToolCallDelay, CancellationToken.None);
            }
        }

        if (_failing)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        if (!request.RootElement.TryGetProperty("id", out var idElement))
        {
            context.Response.StatusCode = StatusCodes.Status202Accepted; // a notification
            return;
        }

        var id = idElement.GetRawText();
        if (method == "initialize")
        {
            Interlocked.Increment(ref _initializes);
            context.Response.Headers["Mcp-Session-Id"] = SessionId;
        }

        if (method == "ping")
        {
            if (context.Request.Headers["Mcp-Session-Id"] != SessionId)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            Interlocked.Increment(ref _pings);
            context.Response.ContentType = "text/event-stream";
            await context.Response.WriteAsync("event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":{}}\n\n");
            return;
        }

        string? result = method switch
        {
            "initialize" => """{"protocolVersion":"2025-06-18","capabilities":{"tools":{}},"serverInfo":{"name":"flaky","version":"1"}}""",
            "tools/list" => """{"tools":[{"name":"flaky_echo","description":"Echoes","inputSchema":{"type":"object"}}]}""",
            "tools/call" => """{"content":[{"type":"text","text":"echo"}]}""",
            "prompts/list" => """{"prompts":[]}""",
            "resources/list" => """{"resources":[]}""",
            "resources/templates/list" => """{"resourceTemplates":[]}""",
            _ => null,
        };
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(result is null
            ? "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"error\":{\"code\":-32601,\"message\":\"Method not found\"}}"
            : "{\"jsonrpc\":\"2.0\",\"id\":" + id + ",\"result\":" + result + "}");
    }
}
