using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.Proxy.Tests.Fakes;

/// <summary>
/// A small Streamable HTTP MCP server on 127.0.0.1:0 with tools that misbehave on purpose:
/// <c>hang</c> never answers, <c>garbage</c> answers non-JSON, <c>boom</c> answers 500, <c>cut</c> breaks off its SSE answer, <c>grow</c> adds a tool <c>grown</c> and says list_changed, <c>reject</c> answers a
/// JSON-RPC error, <c>progress</c> streams a progress and a log notification first, <c>ask</c> asks the client to
/// elicit and returns its answer. Any other listed tool echoes "{server}:{tool}:{arguments}". <c>resources/subscribe</c>
/// is accepted and followed by one <c>notifications/resources/updated</c> for the URI.
/// </summary>
internal sealed class FakeMcpServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _name;
    private volatile string[] _tools;
    private readonly int _pageSize;
    private readonly ConcurrentDictionary<string, byte> _sessions = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<JsonNode?>> _answers = new();

    private FakeMcpServer(WebApplication app, string name, string[] tools, int pageSize)
    {
        _app = app;
        _name = name;
        _tools = tools;
        _pageSize = pageSize;
    }

    public Uri Url { get; private set; } = null!;

    /// <summary>Every tool name this server was asked to call, as it received it.</summary>
    public ConcurrentQueue<string> CalledTools { get; } = new();

    /// <summary>Every method received, requests and notifications.</summary>
    public ConcurrentQueue<string> Methods { get; } = new();

    /// <summary>The <c>Authorization</c> header of every POST received ("" when none was sent).</summary>
    public ConcurrentQueue<string> Authorizations { get; } = new();

    public int Initializations => Methods.Count(m => m == "initialize");

    public static async Task<FakeMcpServer> StartAsync(string name, string[] tools, int pageSize = 1000)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new FakeMcpServer(app, name, tools, pageSize);
        app.MapPost("/mcp", server.PostAsync);
        app.MapGet("/mcp", () => Results.StatusCode(StatusCodes.Status405MethodNotAllowed));
        app.MapDelete("/mcp", (HttpContext http) => server._sessions.TryRemove(http.Request.Headers["Mcp-Session-Id"].ToString(), out _)
            ? Results.Ok()
            : Results.NotFound());
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Url = new Uri(address + "/mcp");
        return server;
    }

    /// <summary>Forgets every session, as a restarted server would.</summary>
    public void ForgetSessions() => _sessions.Clear();

    /// <summary>
    /// Answers an unknown session as the reference server-everything does: 400 and a JSON-RPC error without an id,
    /// instead of the specification's 404.
    /// </summary>
    public bool UnknownSessionIs400 { get; set; }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task PostAsync(HttpContext http)
    {
        Authorizations.Enqueue(http.Request.Headers.Authorization.ToString());
        var message = (await JsonNode.ParseAsync(http.Request.Body))!.AsObject();
        var method = (string?)message["method"];
        var id = message["id"]?.DeepClone();
        if (method is null)
        {
            if (id is not null && _answers.TryRemove(id.ToJsonString(), out var answer))
            {
                answer.TrySetResult(message["result"]?.DeepClone());
            }

            http.Response.StatusCode = StatusCodes.Status202Accepted;
            return;
        }

        Methods.Enqueue(method);
        if (method == "initialize")
        {
            var session = Guid.NewGuid().ToString("N");
            _sessions[session] = 0;
            http.Response.Headers["Mcp-Session-Id"] = session;
            await WriteJsonAsync(http, Result(id, new JsonObject
            {
                ["protocolVersion"] = "2025-11-25",
                ["capabilities"] = new JsonObject { ["tools"] = new JsonObject { ["listChanged"] = true } },
                ["serverInfo"] = new JsonObject { ["name"] = _name, ["version"] = "1.0.0" },
            }));
            return;
        }

        if (!_sessions.ContainsKey(http.Request.Headers["Mcp-Session-Id"].ToString()))
        {
            http.Response.StatusCode = UnknownSessionIs400 ? StatusCodes.Status400BadRequest : StatusCodes.Status404NotFound;
            if (UnknownSessionIs400)
            {
                await http.Response.WriteAsync("""{"jsonrpc":"2.0","error":{"code":-32000,"message":"Bad Request: No valid session ID provided"},"id":null}""");
            }

            return;
        }

        if (id is null)
        {
            http.Response.StatusCode = StatusCodes.Status202Accepted;
            return;
        }

        var parameters = message["params"] as JsonObject ?? [];
        switch (method)
        {
            case "ping" or "logging/setLevel" or "resources/unsubscribe":
                await WriteJsonAsync(http, Result(id, []));
                break;
            case "tools/list":
                await WriteJsonAsync(http, Result(id, ToolsPage((string?)parameters["cursor"])));
                break;
            case "prompts/list":
                await WriteJsonAsync(http, Result(id, new JsonObject { ["prompts"] = new JsonArray() }));
                break;
            case "resources/list":
                await WriteJsonAsync(http, Result(id, new JsonObject
                {
                    // Every fake server also lists the same shared URI, so two of them collide.
                    ["resources"] = new JsonArray(
                        new JsonObject { ["uri"] = $"fake://{_name}/readme", ["name"] = "readme" },
                        new JsonObject { ["uri"] = "fake://shared/readme", ["name"] = "shared" }),
                }));
                break;
            case "resources/templates/list":
                await WriteJsonAsync(http, Result(id, new JsonObject { ["resourceTemplates"] = new JsonArray() }));
                break;
            case "resources/read":
                await WriteJsonAsync(http, Result(id, new JsonObject
                {
                    ["contents"] = new JsonArray(new JsonObject { ["uri"] = (string?)parameters["uri"], ["text"] = $"{_name} readme" }),
                }));
                break;
            case "tools/call":
                await CallToolAsync(http, id, parameters);
                break;
            case "resources/subscribe":
                // Accepts, and reports the resource changed at once (on the subscribe's own answer).
                http.Response.ContentType = "text/event-stream";
                await WriteEventAsync(http, new JsonObject
                {
                    ["jsonrpc"] = "2.0",
                    ["method"] = "notifications/resources/updated",
                    ["params"] = new JsonObject { ["uri"] = (string?)parameters["uri"] },
                });
                await WriteEventAsync(http, Result(id, []));
                break;
            default:
                await WriteJsonAsync(http, Error(id, -32601, "Method not found"));
                break;
        }
    }

    private JsonObject ToolsPage(string? cursor)
    {
        var start = cursor is null ? 0 : int.Parse(cursor, System.Globalization.CultureInfo.InvariantCulture);
        var page = new JsonArray();
        foreach (var tool in _tools.Skip(start).Take(_pageSize))
        {
            page.Add(new JsonObject
            {
                ["name"] = tool,
                ["description"] = $"{tool} of {_name}",
                ["inputSchema"] = new JsonObject { ["type"] = "object" },
                ["x-extra"] = "kept",
            });
        }

        var result = new JsonObject { ["tools"] = page };
        if (start + _pageSize < _tools.Length)
        {
            result["nextCursor"] = (start + _pageSize).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return result;
    }

    private async Task CallToolAsync(HttpContext http, JsonNode id, JsonObject parameters)
    {
        var tool = (string?)parameters["name"] ?? "";
        CalledTools.Enqueue(tool);
        switch (tool)
        {
            case "hang":
                await Task.Delay(Timeout.Infinite, http.RequestAborted).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                return;
            case "garbage":
                http.Response.ContentType = "text/plain";
                await http.Response.WriteAsync("this is not json", http.RequestAborted);
                return;
            case "boom":
                http.Response.StatusCode = StatusCodes.Status500InternalServerError;
                return;
            case "cut":
                http.Response.ContentType = "text/event-stream";
                await WriteEventAsync(http, new JsonObject { ["jsonrpc"] = "2.0", ["method"] = "notifications/message", ["params"] = new JsonObject() });
                http.Abort();
                return;
            case "grow":
                _tools = [.. _tools, "grown"];
                http.Response.ContentType = "text/event-stream";
                await WriteEventAsync(http, new JsonObject { ["jsonrpc"] = "2.0", ["method"] = "notifications/tools/list_changed" });
                await WriteEventAsync(http, Result(id, TextResult("grown")));
                return;
            case "reject":
                await WriteJsonAsync(http, Error(id, -32050, "rejected by the backend"));
                return;
            case "progress":
                http.Response.ContentType = "text/event-stream";
                await WriteEventAsync(http, new JsonObject
                {
                    ["jsonrpc"] = "2.0",
                    ["method"] = "notifications/progress",
                    ["params"] = new JsonObject { ["progressToken"] = parameters["_meta"]?["progressToken"]?.DeepClone(), ["progress"] = 1, ["total"] = 2 },
                });
                await WriteEventAsync(http, new JsonObject
                {
                    ["jsonrpc"] = "2.0",
                    ["method"] = "notifications/message",
                    ["params"] = new JsonObject { ["level"] = "info", ["data"] = "working" },
                });
                await WriteEventAsync(http, Result(id, TextResult("done")));
                return;
            case "ask":
                http.Response.ContentType = "text/event-stream";
                var question = $"ask-{Guid.NewGuid():N}";
                var answer = new TaskCompletionSource<JsonNode?>(TaskCreationOptions.RunContinuationsAsynchronously);
                _answers[JsonValue.Create(question).ToJsonString()] = answer;
                await WriteEventAsync(http, new JsonObject
                {
                    ["jsonrpc"] = "2.0",
                    ["id"] = question,
                    ["method"] = "elicitation/create",
                    ["params"] = new JsonObject { ["message"] = "Your name?", ["requestedSchema"] = new JsonObject { ["type"] = "object" } },
                });
                var content = await answer.Task.WaitAsync(TimeSpan.FromSeconds(30), http.RequestAborted);
                await WriteEventAsync(http, Result(id, TextResult("answer:" + content?.ToJsonString())));
                return;
            default:
                await WriteJsonAsync(http, Result(id, TextResult($"{_name}:{tool}:{parameters["arguments"]?.ToJsonString()}")));
                return;
        }
    }

    private static JsonObject TextResult(string text) => new()
    {
        ["content"] = new JsonArray(new JsonObject { ["type"] = "text", ["text"] = text }),
    };

    private static JsonObject Result(JsonNode? id, JsonObject result) => new() { ["jsonrpc"] = "2.0", ["id"] = id?.DeepClone(), ["result"] = result };

    private static JsonObject Error(JsonNode? id, int code, string message) => new()
    {
        ["jsonrpc"] = "2.0",
        ["id"] = id?.DeepClone(),
        ["error"] = new JsonObject { ["code"] = code, ["message"] = message },
    };

    private static async Task WriteJsonAsync(HttpContext http, JsonObject body)
    {
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(body.ToJsonString(), http.RequestAborted);
    }

    private static async Task WriteEventAsync(HttpContext http, JsonObject message)
    {
        await http.Response.WriteAsync("event: message\ndata: " + message.ToJsonString() + "\n\n", Encoding.UTF8, http.RequestAborted);
        await http.Response.Body.FlushAsync(http.RequestAborted);
    }
}
