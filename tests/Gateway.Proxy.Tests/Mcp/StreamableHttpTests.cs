using System.Net;
using System.Text.Json;
using Gateway.Contracts;
using Gateway.Proxy.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Proxy.Tests.Mcp;

/// <summary>The Streamable HTTP transport at /mcp: sessions, versions, headers and every refusal it answers with.</summary>
public sealed class StreamableHttpTests : IAsyncLifetime
{
    private FakeMcpServer _backend = null!;
    private GatewayFactory _gateway = null!;

    public async Task InitializeAsync()
    {
        _backend = await FakeMcpServer.StartAsync("alpha", ["echo"]);
        var settings = GatewayFactory.Settings(("alpha", _backend.Url));
        settings["Gateway:Mcp:MaxRequestBytes"] = "2048";
        _gateway = new GatewayFactory(settings);
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _backend.DisposeAsync();
    }

    private McpTestClient Client() => new(_gateway.CreateClient());

    [Theory]
    [InlineData("2025-11-25", "2025-11-25")]
    [InlineData("2025-06-18", "2025-06-18")]
    [InlineData("2025-03-26", "2025-03-26")]
    [InlineData("2024-01-01", "2025-11-25")]
    public async Task Initialize_issues_a_session_and_negotiates_the_version(string requested, string expected)
    {
        var client = Client();

        var result = await client.InitializeAsync(requested);

        Assert.False(string.IsNullOrEmpty(client.SessionId));
        Assert.Equal(expected, result.GetProperty("result").GetProperty("protocolVersion").GetString());
        Assert.True(result.GetProperty("result").GetProperty("capabilities").TryGetProperty("tools", out _));
    }

    [Fact]
    public async Task Request_without_session_is_400_and_unknown_session_is_404()
    {
        var client = Client();
        using var missing = await client.PostAsync("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}""");
        client.SessionId = "not-a-session";
        using var unknown = await client.PostAsync("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}""");

        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Equal(GatewayErrorCodes.TransportError, await ErrorCodeAsync(missing));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task Delete_ends_the_session()
    {
        var client = Client();
        await client.InitializeAsync();

        using var deleted = await client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, "/mcp"));
        using var after = await client.PostAsync("""{"jsonrpc":"2.0","id":1,"method":"ping"}""");

        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, after.StatusCode);
    }

    [Fact]
    public async Task Session_expires_after_its_idle_timeout()
    {
        var settings = GatewayFactory.Settings(("alpha", _backend.Url));
        settings["Gateway:Mcp:SessionIdleTimeout"] = "00:01:00";
        var time = new FakeTimeProvider();
        await using var gateway = new GatewayFactory(settings, services: s => s.AddSingleton<TimeProvider>(time));
        var client = new McpTestClient(gateway.CreateClient());
        await client.InitializeAsync();
        using var before = await client.PostAsync("""{"jsonrpc":"2.0","id":1,"method":"ping"}""");

        time.Advance(TimeSpan.FromMinutes(2));
        using var after = await client.PostAsync("""{"jsonrpc":"2.0","id":2,"method":"ping"}""");

        Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, after.StatusCode);
    }

    [Fact]
    public async Task Sessions_beyond_the_cap_are_refused_with_503_until_one_ends()
    {
        var settings = GatewayFactory.Settings(("alpha", _backend.Url));
        settings["Gateway:Mcp:MaxSessions"] = "2";
        await using var gateway = new GatewayFactory(settings);
        var first = new McpTestClient(gateway.CreateClient());
        await first.InitializeAsync();
        await new McpTestClient(gateway.CreateClient()).InitializeAsync();

        using var refused = await new McpTestClient(gateway.CreateClient()).PostAsync(
            """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}""");
        using var deleted = await first.SendAsync(new HttpRequestMessage(HttpMethod.Delete, "/mcp"));
        var third = new McpTestClient(gateway.CreateClient());
        await third.InitializeAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.False(refused.Headers.Contains("Mcp-Session-Id"));
        Assert.Equal(GatewayErrorCodes.TransportError, await ErrorCodeAsync(refused));
        Assert.False(string.IsNullOrEmpty(third.SessionId));
    }

    [Fact]
    public async Task Unsupported_protocol_version_header_is_400()
    {
        var client = Client();
        await client.InitializeAsync();
        client.ProtocolVersion = "1999-01-01";

        using var response = await client.PostAsync("""{"jsonrpc":"2.0","id":1,"method":"ping"}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(GatewayErrorCodes.TransportError, await ErrorCodeAsync(response));
    }

    [Theory]
    [InlineData("text/html")]
    [InlineData("image/png, text/plain")]
    public async Task Wrong_accept_is_406(string accept)
    {
        var client = Client();
        await client.InitializeAsync();

        using var response = await client.PostAsync("""{"jsonrpc":"2.0","id":1,"method":"ping"}""", accept);

        Assert.Equal(HttpStatusCode.NotAcceptable, response.StatusCode);
    }

    [Fact]
    public async Task Json_only_accept_gets_a_json_answer_even_for_tool_calls()
    {
        var client = Client();
        await client.InitializeAsync();

        using var response = await client.PostAsync("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}}""", "application/json");

        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var message = (await McpTestClient.ReadMessagesAsync(response)).Single();
        Assert.Equal("alpha:echo:", message.GetProperty("result").GetProperty("content")[0].GetProperty("text").GetString());
    }

    [Theory]
    [InlineData("{not json", GatewayErrorCodes.ParseError)]
    [InlineData("""{"jsonrpc":"1.0","id":1,"method":"ping"}""", GatewayErrorCodes.InvalidRequest)]
    [InlineData("""[{"jsonrpc":"2.0","id":1,"method":"ping"}]""", GatewayErrorCodes.InvalidRequest)]
    [InlineData("""{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}""", GatewayErrorCodes.InvalidRequest)]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"ping","params":[1]}""", GatewayErrorCodes.InvalidParams)]
    [InlineData("42", GatewayErrorCodes.InvalidRequest)]
    public async Task Malformed_messages_get_400_with_the_json_rpc_error(string body, int code)
    {
        var client = Client();
        await client.InitializeAsync();

        using var response = await client.PostAsync(body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(code, await ErrorCodeAsync(response));
    }

    [Fact]
    public async Task A_2025_03_26_session_gets_a_batch_answered_as_one_array()
    {
        var client = Client();
        await client.InitializeAsync("2025-03-26");

        using var response = await client.PostAsync("""
            [{"jsonrpc":"2.0","id":1,"method":"ping"},
             {"jsonrpc":"2.0","method":"notifications/roots/list_changed"},
             {"jsonrpc":"2.0","id":"two","method":"tools/call","params":{"name":"echo","arguments":{"x":1}}},
             {"jsonrpc":"1.0","id":3,"method":"ping"},
             {"jsonrpc":"2.0","id":4,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}]
            """);
        using var answers = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var byId = answers.RootElement.EnumerateArray().ToDictionary(a => a.GetProperty("id").ToString());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(4, byId.Count); // the notification has no answer
        Assert.True(byId["1"].TryGetProperty("result", out _));
        Assert.Contains("alpha:echo", byId["two"].GetProperty("result").GetRawText(), StringComparison.Ordinal);
        Assert.Equal(GatewayErrorCodes.InvalidRequest, byId[""].GetProperty("error").GetProperty("code").GetInt32()); // id null: invalid element
        Assert.Equal(GatewayErrorCodes.InvalidRequest, byId["4"].GetProperty("error").GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task A_2025_03_26_batch_of_notifications_only_is_202()
    {
        var client = Client();
        await client.InitializeAsync("2025-03-26");

        using var response = await client.PostAsync("""[{"jsonrpc":"2.0","method":"notifications/roots/list_changed"}]""");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Theory]
    [InlineData("2025-06-18")]
    [InlineData("2025-11-25")]
    public async Task Later_sessions_refuse_batches_with_400(string version)
    {
        var client = Client();
        await client.InitializeAsync(version);

        using var response = await client.PostAsync("""[{"jsonrpc":"2.0","id":1,"method":"ping"}]""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(GatewayErrorCodes.InvalidRequest, await ErrorCodeAsync(response));
    }

    [Fact]
    public async Task Unknown_method_is_method_not_found()
    {
        var client = Client();
        await client.InitializeAsync();

        var response = await client.RequestAsync("no/such/method");

        Assert.Equal(GatewayErrorCodes.MethodNotFound, response.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal(1, response.GetProperty("id").GetInt32());
    }

    [Fact]
    public async Task Oversized_body_is_413()
    {
        var client = Client();
        await client.InitializeAsync();
        var padding = new string('x', 4096);

        using var response = await client.PostAsync($$$"""{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"{{{padding}}}"}}""");

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(GatewayErrorCodes.RequestTooLarge, await ErrorCodeAsync(response));
    }

    [Fact]
    public async Task Notifications_and_responses_are_accepted_with_202()
    {
        var client = Client();
        await client.InitializeAsync();

        using var notification = await client.PostAsync("""{"jsonrpc":"2.0","method":"notifications/roots/list_changed"}""");
        using var response = await client.PostAsync("""{"jsonrpc":"2.0","id":"nobody-asked","result":{}}""");

        Assert.Equal(HttpStatusCode.Accepted, notification.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Theory]
    [InlineData("evil.example.com", null)]
    [InlineData("localhost", "http://evil.example.com")]
    public async Task Foreign_host_or_origin_is_refused_against_dns_rebinding(string host, string? origin)
    {
        var client = Client();
        var request = McpTestClient.Post("""{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{}}}""");
        request.Headers.Host = host;
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Configured_hosts_and_origins_are_accepted()
    {
        var settings = GatewayFactory.Settings(("alpha", _backend.Url));
        settings["Gateway:Mcp:AllowedHosts:0"] = "gateway.internal";
        settings["Gateway:Mcp:AllowedOrigins:0"] = "https://app.example.com";
        await using var gateway = new GatewayFactory(settings);
        var client = new McpTestClient(gateway.CreateClient());
        var request = McpTestClient.Post("""{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{}}}""");
        request.Headers.Host = "gateway.internal";
        request.Headers.Add("Origin", "https://app.example.com");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Without_anonymous_access_a_missing_or_wrong_key_is_401_and_a_valid_key_passes()
    {
        var settings = GatewayFactory.Settings(("alpha", _backend.Url));
        settings.Remove("Gateway:AnonymousClientId");
        settings["Gateway:Clients:0:KeySha256"] = Gateway.Authentication.GatewayAuth.HashKey("secret-key");
        await using var gateway = new GatewayFactory(settings);
        var client = new McpTestClient(gateway.CreateClient());
        const string initialize = """{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{}}}""";

        using var anonymous = await client.PostAsync(initialize);
        var wrong = McpTestClient.Post(initialize);
        wrong.Headers.Add("X-Api-Key", "wrong");
        using var wrongResponse = await client.SendAsync(wrong);
        var right = McpTestClient.Post(initialize);
        right.Headers.Add("Authorization", "Bearer secret-key");
        using var rightResponse = await client.SendAsync(right);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(GatewayErrorCodes.Unauthenticated, await ErrorCodeAsync(anonymous));
        Assert.Equal(HttpStatusCode.Unauthorized, wrongResponse.StatusCode);
        Assert.Equal(HttpStatusCode.OK, rightResponse.StatusCode);
    }

    [Fact]
    public async Task A_session_is_invisible_to_another_client()
    {
        var settings = GatewayFactory.Settings(("alpha", _backend.Url));
        await using var gateway = new GatewayFactory(settings);
        var owner = new McpTestClient(gateway.CreateClient());
        owner.Http.DefaultRequestHeaders.Add("X-Api-Key", "key-1");
        await owner.InitializeAsync();
        var intruder = new McpTestClient(gateway.CreateClient()) { SessionId = owner.SessionId };

        using var response = await intruder.PostAsync("""{"jsonrpc":"2.0","id":1,"method":"ping"}""");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Stateless_requests_need_no_session_and_discover_the_server()
    {
        var client = Client();
        var request = McpTestClient.Post("""
            {"jsonrpc":"2.0","id":"d","method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}
            """);
        request.Headers.Add("MCP-Protocol-Version", "2026-07-28");
        request.Headers.Add("Mcp-Method", "server/discover");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = (await McpTestClient.ReadMessagesAsync(response)).Single().GetProperty("result");
        Assert.Contains("2026-07-28", result.GetProperty("supportedVersions").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal("complete", result.GetProperty("resultType").GetString());
    }

    [Fact]
    public async Task Stateless_tool_call_is_routed_without_a_session()
    {
        var client = Client();
        var request = McpTestClient.Post("""
            {"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"x":1},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}
            """, "application/json");
        request.Headers.Add("MCP-Protocol-Version", "2026-07-28");
        request.Headers.Add("Mcp-Method", "tools/call");
        request.Headers.Add("Mcp-Name", "echo");

        using var response = await client.SendAsync(request);

        var message = (await McpTestClient.ReadMessagesAsync(response)).Single();
        Assert.Equal("""alpha:echo:{"x":1}""", message.GetProperty("result").GetProperty("content")[0].GetProperty("text").GetString());
    }

    [Theory]
    [InlineData("tools/list", null)]
    [InlineData("tools/call", "other")]
    [InlineData(null, null)]
    public async Task Stateless_header_body_mismatch_is_400_with_32020(string? method, string? name)
    {
        var client = Client();
        var request = McpTestClient.Post("""
            {"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}
            """);
        request.Headers.Add("MCP-Protocol-Version", "2026-07-28");
        if (method is not null)
        {
            request.Headers.Add("Mcp-Method", method);
        }

        if (name is not null)
        {
            request.Headers.Add("Mcp-Name", name);
        }

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(GatewayErrorCodes.HeaderMismatch, await ErrorCodeAsync(response));
        Assert.Empty(_backend.CalledTools);
    }

    [Fact]
    public async Task Stateless_get_and_delete_are_405()
    {
        var client = Client();
        var get = new HttpRequestMessage(HttpMethod.Get, "/mcp");
        get.Headers.Add("Accept", "text/event-stream");
        get.Headers.Add("MCP-Protocol-Version", "2026-07-28");
        var delete = new HttpRequestMessage(HttpMethod.Delete, "/mcp");
        delete.Headers.Add("MCP-Protocol-Version", "2026-07-28");

        using var getResponse = await client.SendAsync(get);
        using var deleteResponse = await client.SendAsync(delete);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, getResponse.StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, deleteResponse.StatusCode);
    }

    [Fact]
    public async Task Get_stream_carries_catalog_changes_to_the_session()
    {
        var client = Client();
        await client.InitializeAsync();
        var get = new HttpRequestMessage(HttpMethod.Get, "/mcp");
        get.Headers.Add("Accept", "text/event-stream");
        using var stream = await client.Http.SendAsync(AddSession(get, client), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", stream.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());
        var sessions = _gateway.Services.GetService(typeof(Gateway.Proxy.Mcp.McpSessionStore)) as Gateway.Proxy.Mcp.McpSessionStore;

        sessions!.Broadcast("""{"jsonrpc":"2.0","method":"notifications/tools/list_changed"}"""u8.ToArray());

        string? line;
        do
        {
            line = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        while (line is not null && !line.StartsWith("data:", StringComparison.Ordinal));

        Assert.Contains("notifications/tools/list_changed", line, StringComparison.Ordinal);
    }

    private static HttpRequestMessage AddSession(HttpRequestMessage request, McpTestClient client)
    {
        request.Headers.Add("Mcp-Session-Id", client.SessionId);
        return request;
    }

    private static async Task<int> ErrorCodeAsync(HttpResponseMessage response)
    {
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.GetProperty("error").GetProperty("code").GetInt32();
    }
}
