using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Testing;

/// <summary>
/// A session-era (2025-11-25) Streamable HTTP MCP server in the test process whose one tool, <c>greet</c>, asks the
/// client for its name with <c>elicitation/create</c> in the middle of the call (on the call's SSE answer) and then
/// answers "Hello, {name}". It counts the calls it received and the answers it got back.
/// </summary>
public sealed class ElicitingMcpServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<JsonNode?>> _questions = new();
    private int _calls;
    private int _answers;

    private ElicitingMcpServer(WebApplication app) => _app = app;

    public Uri Url { get; private set; } = null!;

    /// <summary><c>tools/call</c> requests received.</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>Answers to its elicitations received.</summary>
    public int Answers => Volatile.Read(ref _answers);

    public static async Task<ElicitingMcpServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new ElicitingMcpServer(app);
        app.MapPost("/mcp", server.HandleAsync);
        app.MapGet("/mcp", () => Results.StatusCode(StatusCodes.Status405MethodNotAllowed));
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

    private async Task HandleAsync(HttpContext http)
    {
        var message = (await JsonNode.ParseAsync(http.Request.Body))!.AsObject();
        var method = (string?)message["method"];
        var id = message["id"]?.DeepClone();
        if (method is null)
        {
            // The client's answer to our question, relayed by the gateway.
            if (id is not null && _questions.TryRemove(id.ToJsonString(), out var question))
            {
                Interlocked.Increment(ref _answers);
                question.TrySetResult(message["result"]?.DeepClone());
            }

            http.Response.StatusCode = StatusCodes.Status202Accepted;
            return;
        }

        if (id is null)
        {
            http.Response.StatusCode = StatusCodes.Status202Accepted;
            return;
        }

        http.Response.Headers["Mcp-Session-Id"] = "session-1";
        switch (method)
        {
            case "initialize":
                await WriteJsonAsync(http, Result(id, """{"protocolVersion":"2025-11-25","capabilities":{"tools":{}},"serverInfo":{"name":"greeter","version":"1"}}"""));
                return;
            case "tools/list":
                await WriteJsonAsync(http, Result(id, """{"tools":[{"name":"greet","description":"Greets you by name","inputSchema":{"type":"object"}}]}"""));
                return;
            case "prompts/list":
                await WriteJsonAsync(http, Result(id, """{"prompts":[]}"""));
                return;
            case "resources/list":
                await WriteJsonAsync(http, Result(id, """{"resources":[]}"""));
                return;
            case "resources/templates/list":
                await WriteJsonAsync(http, Result(id, """{"resourceTemplates":[]}"""));
                return;
            case "ping":
                await WriteJsonAsync(http, Result(id, "{}"));
                return;
            case "tools/call":
                Interlocked.Increment(ref _calls);
                var questionId = JsonValue.Create($"q-{Guid.NewGuid():N}");
                var answer = new TaskCompletionSource<JsonNode?>(TaskCreationOptions.RunContinuationsAsynchronously);
                _questions[questionId.ToJsonString()] = answer;
                http.Response.ContentType = "text/event-stream";
                await WriteEventAsync(http, $$"""{"jsonrpc":"2.0","id":{{questionId.ToJsonString()}},"method":"elicitation/create","params":""" + """{"message":"Your name?","requestedSchema":{"type":"object","properties":{"name":{"type":"string"}}}}}""");
                var content = await answer.Task.WaitAsync(TimeSpan.FromMinutes(2), http.RequestAborted);
                var name = (string?)content?["content"]?["name"] ?? "(declined)";
                await WriteEventAsync(http, Result(id, """{"content":[{"type":"text","text":""" + JsonSerializer.Serialize("Hello, " + name) + "}]}"));
                return;
            default:
                await WriteJsonAsync(http, """{"jsonrpc":"2.0","id":""" + id.ToJsonString() + ""","error":{"code":-32601,"message":"Method not found"}}""");
                return;
        }
    }

    private static string Result(JsonNode id, string result) => $$"""{"jsonrpc":"2.0","id":{{id.ToJsonString()}},"result":{{result}}}""";

    private static async Task WriteJsonAsync(HttpContext http, string body)
    {
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(body, http.RequestAborted);
    }

    private static async Task WriteEventAsync(HttpContext http, string message)
    {
        await http.Response.WriteAsync("event: message\ndata: " + message + "\n\n", http.RequestAborted);
        await http.Response.Body.FlushAsync(http.RequestAborted);
    }
}
