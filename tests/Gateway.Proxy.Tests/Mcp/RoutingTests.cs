using System.Net;
using System.Text.Json;
using Gateway.Contracts;
using Gateway.Proxy.Tests.Fakes;

namespace Gateway.Proxy.Tests.Mcp;

/// <summary>Merged catalog, routing to the owning backend, relaying what backends send, and backend failures.</summary>
public sealed class RoutingTests : IAsyncLifetime
{
    private FakeMcpServer _alpha = null!;
    private FakeMcpServer _beta = null!;
    private GatewayFactory _gateway = null!;

    public async Task InitializeAsync()
    {
        // alpha pages its tools one by one, so the catalog must follow its cursors.
        _alpha = await FakeMcpServer.StartAsync("alpha", ["echo", "hang", "garbage", "boom", "cut", "reject", "progress", "ask"], pageSize: 1);
        _beta = await FakeMcpServer.StartAsync("beta", ["echo", "only-beta", "grow"]);
        var settings = GatewayFactory.Settings(("alpha", _alpha.Url), ("beta", _beta.Url));
        settings["Gateway:Backends:0:Timeout"] = "00:00:02";
        _gateway = new GatewayFactory(settings);
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _alpha.DisposeAsync();
        await _beta.DisposeAsync();
    }

    private async Task<McpTestClient> ConnectAsync()
    {
        var client = new McpTestClient(_gateway.CreateClient());
        await client.InitializeAsync();
        return client;
    }

    [Fact]
    public async Task Tools_of_every_backend_are_merged_and_a_name_the_earlier_backend_shows_is_qualified_for_the_later_one()
    {
        var client = await ConnectAsync();

        var tools = (await client.RequestAsync("tools/list")).GetProperty("result").GetProperty("tools");

        var names = tools.EnumerateArray().Select(t => t.GetProperty("name").GetString()).ToList();
        Assert.Equal(["echo", "hang", "garbage", "boom", "cut", "reject", "progress", "ask", "beta__echo", "only-beta", "grow"], names);
        Assert.All(tools.EnumerateArray(), t => Assert.Equal("kept", t.GetProperty("x-extra").GetString()));
    }

    [Fact]
    public async Task Calls_reach_the_owning_backend_under_its_own_name()
    {
        var client = await ConnectAsync();

        var alpha = await client.RequestAsync("tools/call", """{"name":"echo","arguments":{"a":1}}""");
        var beta = await client.RequestAsync("tools/call", """{"name":"only-beta"}""", id: 2);

        Assert.Equal("""alpha:echo:{"a":1}""", Text(alpha));
        Assert.Equal("beta:only-beta:", Text(beta));
        Assert.Contains("echo", _alpha.CalledTools);
        Assert.DoesNotContain("echo", _beta.CalledTools);
    }

    [Fact]
    public async Task Merged_list_is_paginated_with_an_opaque_cursor()
    {
        var settings = GatewayFactory.Settings(("alpha", _alpha.Url), ("beta", _beta.Url));
        settings["Gateway:Mcp:PageSize"] = "4";
        await using var gateway = new GatewayFactory(settings);
        var client = new McpTestClient(gateway.CreateClient());
        await client.InitializeAsync();

        var names = new List<string?>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var parameters = cursor is null ? "{}" : JsonSerializer.Serialize(new { cursor });
            var result = (await client.RequestAsync("tools/list", parameters)).GetProperty("result");
            names.AddRange(result.GetProperty("tools").EnumerateArray().Select(t => t.GetProperty("name").GetString()));
            cursor = result.TryGetProperty("nextCursor", out var next) ? next.GetString() : null;
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(3, pages);
        Assert.Equal(11, names.Distinct().Count());
    }

    [Fact]
    public async Task Catalog_is_read_again_when_a_backend_says_its_list_changed()
    {
        var client = await ConnectAsync();

        await client.RequestAsync("tools/call", """{"name":"grow"}""");
        var found = false;
        for (var attempt = 0; attempt < 100 && !found; attempt++)
        {
            var tools = (await client.RequestAsync("tools/list", id: 2 + attempt)).GetProperty("result").GetProperty("tools");
            found = tools.EnumerateArray().Any(t => t.GetProperty("name").GetString() == "grown");
            if (!found)
            {
                await Task.Delay(50);
            }
        }

        Assert.True(found, "the catalog was not re-read after list_changed");
    }

    [Fact]
    public async Task Invalid_cursor_is_invalid_params()
    {
        var client = await ConnectAsync();

        var response = await client.RequestAsync("tools/list", """{"cursor":"!!"}""");

        Assert.Equal(GatewayErrorCodes.InvalidParams, response.GetProperty("error").GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task Resources_are_read_from_the_backend_that_lists_them()
    {
        var client = await ConnectAsync();

        var resources = (await client.RequestAsync("resources/list")).GetProperty("result").GetProperty("resources");
        var read = await client.RequestAsync("resources/read", """{"uri":"fake://beta/readme"}""", id: 2);

        Assert.Equal(4, resources.GetArrayLength());
        Assert.Equal("beta readme", read.GetProperty("result").GetProperty("contents")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task A_uri_listed_by_several_backends_is_qualified_for_the_later_one_and_read_from_each()
    {
        var client = await ConnectAsync();

        var resources = (await client.RequestAsync("resources/list")).GetProperty("result").GetProperty("resources");
        var alpha = await client.RequestAsync("resources/read", """{"uri":"gateway:alpha:fake://shared/readme"}""", id: 2);
        var beta = await client.RequestAsync("resources/read", """{"uri":"gateway:beta:fake://shared/readme"}""", id: 3);
        var bare = await client.RequestAsync("resources/read", """{"uri":"fake://shared/readme"}""", id: 4);

        Assert.Equal(
            ["fake://alpha/readme", "fake://shared/readme", "fake://beta/readme", "gateway:beta:fake://shared/readme"],
            resources.EnumerateArray().Select(r => r.GetProperty("uri").GetString()));
        Assert.Equal("shared", resources[1].GetProperty("name").GetString());
        // Each backend gets its own URI back, not the gateway's.
        Assert.Equal("alpha readme", alpha.GetProperty("result").GetProperty("contents")[0].GetProperty("text").GetString());
        Assert.Equal("fake://shared/readme", alpha.GetProperty("result").GetProperty("contents")[0].GetProperty("uri").GetString());
        Assert.Equal("beta readme", beta.GetProperty("result").GetProperty("contents")[0].GetProperty("text").GetString());
        Assert.Equal("alpha readme", bare.GetProperty("result").GetProperty("contents")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task Unknown_tool_is_a_tool_error_unknown_prompt_is_invalid_params_and_neither_touches_a_backend()
    {
        var client = await ConnectAsync();

        var response = await client.RequestAsync("tools/call", """{"name":"nope"}""");
        var prompt = await client.RequestAsync("prompts/get", """{"name":"nope"}""", id: 2);

        Assert.True(response.GetProperty("result").GetProperty("isError").GetBoolean());
        Assert.Equal("Unknown tool: nope", Text(response));
        Assert.Equal(GatewayErrorCodes.InvalidParams, prompt.GetProperty("error").GetProperty("code").GetInt32());
        Assert.DoesNotContain("nope", _alpha.CalledTools.Concat(_beta.CalledTools));
    }

    [Fact]
    public async Task Backend_json_rpc_error_is_relayed_unchanged()
    {
        var client = await ConnectAsync();

        var response = await client.RequestAsync("tools/call", """{"name":"reject"}""");

        Assert.Equal(-32050, response.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal("rejected by the backend", response.GetProperty("error").GetProperty("message").GetString());
    }

    [Theory]
    [InlineData("garbage", GatewayErrorCodes.BackendUnavailable)]
    [InlineData("boom", GatewayErrorCodes.BackendUnavailable)]
    [InlineData("cut", GatewayErrorCodes.BackendUnavailable)]
    [InlineData("hang", GatewayErrorCodes.BackendTimeout)]
    public async Task Failing_backend_gets_a_gateway_error_and_the_gateway_keeps_serving(string tool, int code)
    {
        var client = await ConnectAsync();

        using var failed = await client.PostAsync($$$"""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"{{{tool}}}"}}""");
        var other = await client.RequestAsync("tools/call", """{"name":"only-beta"}""", id: 2);

        Assert.Equal(HttpStatusCode.OK, failed.StatusCode);
        var error = (await McpTestClient.ReadMessagesAsync(failed))[^1].GetProperty("error");
        Assert.Equal(code, error.GetProperty("code").GetInt32());
        Assert.Contains("alpha", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal("beta:only-beta:", Text(other));
    }

    [Fact]
    public async Task Progress_and_logging_reach_the_caller_before_the_result_with_its_own_token()
    {
        var client = await ConnectAsync();

        var messages = await client.RequestAllAsync("tools/call", """{"name":"progress","_meta":{"progressToken":"mine-42"}}""");

        Assert.Equal(3, messages.Count);
        Assert.Equal("notifications/progress", messages[0].GetProperty("method").GetString());
        Assert.Equal("mine-42", messages[0].GetProperty("params").GetProperty("progressToken").GetString());
        Assert.Equal("notifications/message", messages[1].GetProperty("method").GetString());
        Assert.Equal("done", Text(messages[2]));
    }

    [Fact]
    public async Task Backend_request_is_relayed_to_the_client_and_its_answer_back()
    {
        var client = await ConnectAsync();
        using var call = await client.Http.SendAsync(
            WithSession(McpTestClient.Post("""{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"ask"}}"""), client),
            HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await call.Content.ReadAsStreamAsync());

        var elicitation = await NextMessageAsync(reader);
        Assert.Equal("elicitation/create", elicitation.GetProperty("method").GetString());
        var answerId = elicitation.GetProperty("id").GetRawText();
        using var answered = await client.PostAsync(
            """{"jsonrpc":"2.0","id":""" + answerId + ""","result":{"action":"accept","content":{"name":"Ada"}}}""");
        var result = await NextMessageAsync(reader);

        Assert.Equal(HttpStatusCode.Accepted, answered.StatusCode);
        Assert.Equal(9, result.GetProperty("id").GetInt32());
        Assert.Equal("""answer:{"action":"accept","content":{"name":"Ada"}}""", Text(result));
    }

    [Fact]
    public async Task Backend_session_is_re_established_after_the_backend_forgets_it()
    {
        var client = await ConnectAsync();
        await client.RequestAsync("tools/call", """{"name":"only-beta"}""");
        var before = _beta.Initializations;

        _beta.ForgetSessions();
        var after = await client.RequestAsync("tools/call", """{"name":"only-beta"}""", id: 2);

        Assert.Equal("beta:only-beta:", Text(after));
        Assert.True(_beta.Initializations > before);
    }

    [Fact]
    public async Task Backend_session_is_re_established_after_a_backend_answering_400_for_unknown_sessions_forgets_it()
    {
        var client = await ConnectAsync();
        await client.RequestAsync("tools/call", """{"name":"only-beta"}""");
        var before = _beta.Initializations;
        _beta.UnknownSessionIs400 = true;

        _beta.ForgetSessions();
        var after = await client.RequestAsync("tools/call", """{"name":"only-beta"}""", id: 2);

        Assert.Equal("beta:only-beta:", Text(after));
        Assert.True(_beta.Initializations > before);
    }

    [Fact]
    public async Task Each_client_session_gets_its_own_backend_session()
    {
        var first = await ConnectAsync();
        var second = await ConnectAsync();
        var before = _beta.Initializations;

        await first.RequestAsync("tools/call", """{"name":"only-beta"}""");
        await second.RequestAsync("tools/call", """{"name":"only-beta"}""");

        Assert.Equal(before + 2, _beta.Initializations);
    }

    [Fact]
    public async Task Logging_level_is_fanned_out_to_every_backend()
    {
        var client = await ConnectAsync();

        var response = await client.RequestAsync("logging/setLevel", """{"level":"debug"}""");

        Assert.True(response.TryGetProperty("result", out _));
        Assert.Contains("logging/setLevel", _alpha.Methods);
        Assert.Contains("logging/setLevel", _beta.Methods);
    }

    [Fact]
    public async Task Logging_level_is_applied_again_when_a_backend_session_is_re_established()
    {
        var client = await ConnectAsync();
        await client.RequestAsync("logging/setLevel", """{"level":"debug"}""");
        var before = _beta.Methods.Count(m => m == "logging/setLevel");

        _beta.ForgetSessions();
        await client.RequestAsync("tools/call", """{"name":"only-beta"}""", id: 2);

        // Sent right after the new handshake, without holding up the call: wait for it to arrive.
        for (var attempt = 0; attempt < 100 && _beta.Methods.Count(m => m == "logging/setLevel") == before; attempt++)
        {
            await Task.Delay(50);
        }

        Assert.Equal(before + 1, _beta.Methods.Count(m => m == "logging/setLevel"));
    }

    [Fact]
    public async Task Ping_is_answered_by_the_gateway()
    {
        var client = await ConnectAsync();
        var pingsBefore = _alpha.Methods.Count(m => m == "ping") + _beta.Methods.Count(m => m == "ping");

        var response = await client.RequestAsync("ping");

        Assert.Equal(JsonValueKind.Object, response.GetProperty("result").ValueKind);
        Assert.Equal(pingsBefore, _alpha.Methods.Count(m => m == "ping") + _beta.Methods.Count(m => m == "ping"));
    }

    private static HttpRequestMessage WithSession(HttpRequestMessage request, McpTestClient client)
    {
        request.Headers.Add("Mcp-Session-Id", client.SessionId);
        return request;
    }

    private static async Task<JsonElement> NextMessageAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                return JsonDocument.Parse(line["data: ".Length..]).RootElement.Clone();
            }
        }

        throw new InvalidOperationException("The stream ended.");
    }

    private static string? Text(JsonElement response) =>
        response.GetProperty("result").GetProperty("content")[0].GetProperty("text").GetString();
}
