using System.Text;
using System.Text.Json;
using Gateway.Proxy.Mcp.Caching;
using Gateway.Proxy.Tests.Fakes;

namespace Gateway.Proxy.Tests.Mcp;

/// <summary>2026-07-28 results carry <c>resultType</c>, and the cacheable ones <c>ttlMs</c> and <c>cacheScope</c>.</summary>
public sealed class StatelessResultTests : IAsyncLifetime
{
    private FakeMcpServer _backend = null!;
    private GatewayFactory _gateway = null!;

    public async Task InitializeAsync()
    {
        _backend = await FakeMcpServer.StartAsync("alpha", ["echo"]);
        var settings = GatewayFactory.Settings(("alpha", _backend.Url));
        settings["Gateway:Mcp:ListTtl"] = "00:02:00";
        _gateway = new GatewayFactory(settings);
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _backend.DisposeAsync();
    }

    [Theory]
    [InlineData("tools/list")]
    [InlineData("prompts/list")]
    [InlineData("resources/list")]
    [InlineData("resources/templates/list")]
    public async Task Stateless_lists_are_private_and_fresh_for_the_configured_ttl(string method)
    {
        var result = await StatelessAsync(method, "{}", name: null);

        Assert.Equal(("complete", 120_000, "private"),
            (result.GetProperty("resultType").GetString(), result.GetProperty("ttlMs").GetInt64(), result.GetProperty("cacheScope").GetString()));
    }

    [Fact]
    public async Task Discover_is_public_with_the_list_ttl()
    {
        var result = await StatelessAsync("server/discover", "{}", name: null);

        Assert.Equal((120_000, "public"), (result.GetProperty("ttlMs").GetInt64(), result.GetProperty("cacheScope").GetString()));
    }

    [Fact]
    public async Task A_read_is_private_and_immediately_stale_unless_the_backend_says_otherwise()
    {
        var result = await StatelessAsync("resources/read", """{"uri":"fake://alpha/readme"}""", name: "fake://alpha/readme");

        Assert.Equal(("complete", 0, "private"),
            (result.GetProperty("resultType").GetString(), result.GetProperty("ttlMs").GetInt64(), result.GetProperty("cacheScope").GetString()));
        Assert.Equal("alpha readme", result.GetProperty("contents")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task A_tool_result_gets_a_result_type_and_no_caching_hints()
    {
        var result = await StatelessAsync("tools/call", """{"name":"echo"}""", name: "echo");

        Assert.Equal("complete", result.GetProperty("resultType").GetString());
        Assert.False(result.TryGetProperty("ttlMs", out _));
    }

    [Fact]
    public async Task Session_era_results_are_unchanged()
    {
        var client = new McpTestClient(_gateway.CreateClient());
        await client.InitializeAsync();

        var result = (await client.RequestAsync("tools/list")).GetProperty("result");

        Assert.False(result.TryGetProperty("resultType", out _));
        Assert.False(result.TryGetProperty("ttlMs", out _));
    }

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":1,"result":{"contents":[],"ttlMs":5000,"cacheScope":"public"}}""", 5000, "public")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"result":{"contents":[],"ttlMs":5000}}""", 5000, "private")]
    public void Hints_a_backend_set_are_kept(string response, long ttl, string scope)
    {
        using var completed = JsonDocument.Parse(StatelessResults.Complete(Encoding.UTF8.GetBytes(response), "resources/read", TimeSpan.FromMinutes(1)));

        var result = completed.RootElement.GetProperty("result");
        Assert.Equal((ttl, scope), (result.GetProperty("ttlMs").GetInt64(), result.GetProperty("cacheScope").GetString()));
    }

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":1,"result":{"resultType":"input_required","requestState":"x"}}""")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"error":{"code":-32602,"message":"no"}}""")]
    public void Input_required_results_and_errors_get_no_hints(string response)
    {
        var bytes = Encoding.UTF8.GetBytes(response);

        Assert.Same(bytes, StatelessResults.Complete(bytes, "resources/read", TimeSpan.FromMinutes(1)));
    }

    private async Task<JsonElement> StatelessAsync(string method, string parameters, string? name)
    {
        var body = $$"""{"jsonrpc":"2.0","id":1,"method":"{{method}}","params":""" + parameters[..^1]
            + (parameters.Length > 2 ? "," : "") + "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"}}}";
        var request = McpTestClient.Post(body, "application/json");
        request.Headers.Add("MCP-Protocol-Version", "2026-07-28");
        request.Headers.Add("Mcp-Method", method);
        if (name is not null)
        {
            request.Headers.Add("Mcp-Name", name);
        }

        using var response = await _gateway.CreateClient().SendAsync(request);
        return (await McpTestClient.ReadMessagesAsync(response)).Single().GetProperty("result");
    }
}
