using System.Net;
using System.Text.Json;
using Gateway.Contracts;
using Gateway.Proxy.Tests.Fakes;

namespace Gateway.Proxy.Tests.Mcp;

/// <summary>2026-07-28 <c>subscriptions/listen</c>, in place of the GET stream and <c>resources/subscribe</c>.</summary>
public sealed class SubscriptionsListenTests : IAsyncLifetime
{
    private FakeMcpServer _backend = null!;
    private GatewayFactory _gateway = null!;

    public async Task InitializeAsync()
    {
        _backend = await FakeMcpServer.StartAsync("alpha", ["echo", "grow"]);
        _gateway = new GatewayFactory(GatewayFactory.Settings(("alpha", _backend.Url)));
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _backend.DisposeAsync();
    }

    [Fact]
    public async Task The_stream_is_acknowledged_first_then_carries_the_list_changes_it_asked_for_under_its_id()
    {
        using var response = await ListenAsync("""{"toolsListChanged":true,"resourceSubscriptions":["fake://nowhere"]}""");
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        var acknowledged = await NextEventAsync(reader);
        Assert.Equal("notifications/subscriptions/acknowledged", acknowledged.GetProperty("method").GetString());
        var parameters = acknowledged.GetProperty("params");
        Assert.Equal("listen-1", parameters.GetProperty("_meta").GetProperty("io.modelcontextprotocol/subscriptionId").GetString());
        // Only what was asked for and held: an unknown resource is not acknowledged.
        Assert.Equal("""{"toolsListChanged":true}""", parameters.GetProperty("notifications").GetRawText());

        await CallGrowAsync();

        var changed = await NextEventAsync(reader);
        Assert.Equal("notifications/tools/list_changed", changed.GetProperty("method").GetString());
        Assert.Equal("listen-1", changed.GetProperty("params").GetProperty("_meta").GetProperty("io.modelcontextprotocol/subscriptionId").GetString());
    }

    [Fact]
    public async Task A_subscribed_resource_is_acknowledged_and_its_backend_updates_arrive_after_the_acknowledgement()
    {
        using var response = await ListenAsync("""{"resourceSubscriptions":["fake://alpha/readme"]}""");
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        var acknowledged = await NextEventAsync(reader);
        var updated = await NextEventAsync(reader);

        Assert.Equal("""{"resourceSubscriptions":["fake://alpha/readme"]}""", acknowledged.GetProperty("params").GetProperty("notifications").GetRawText());
        Assert.Equal("notifications/resources/updated", updated.GetProperty("method").GetString());
        Assert.Equal("fake://alpha/readme", updated.GetProperty("params").GetProperty("uri").GetString());
        Assert.Equal("listen-1", updated.GetProperty("params").GetProperty("_meta").GetProperty("io.modelcontextprotocol/subscriptionId").GetString());
    }

    [Fact]
    public async Task A_listen_without_event_stream_accept_is_406()
    {
        using var response = await ListenAsync("""{"toolsListChanged":true}""", accept: "application/json");

        Assert.Equal(HttpStatusCode.NotAcceptable, response.StatusCode);
    }

    [Theory]
    [InlineData("resources/subscribe")]
    [InlineData("resources/unsubscribe")]
    public async Task Resources_subscribe_is_not_a_2026_method(string method)
    {
        var request = McpTestClient.Post("""{"jsonrpc":"2.0","id":1,"method":""" + JsonSerializer.Serialize(method)
            + ""","params":{"uri":"fake://alpha/readme","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}""");
        request.Headers.Add("Mcp-Method", method);
        request.Headers.Add("Mcp-Name", "fake://alpha/readme");

        using var response = await _gateway.CreateClient().SendAsync(request);

        var answer = (await McpTestClient.ReadMessagesAsync(response)).Single();
        Assert.Equal(GatewayErrorCodes.MethodNotFound, answer.GetProperty("error").GetProperty("code").GetInt32());
    }

    private async Task<HttpResponseMessage> ListenAsync(string notifications, string accept = "application/json, text/event-stream")
    {
        var request = McpTestClient.Post("""{"jsonrpc":"2.0","id":"listen-1","method":"subscriptions/listen","params":{"notifications":""" + notifications
            + ""","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}""", accept);
        request.Headers.Add("Mcp-Method", "subscriptions/listen");
        return await _gateway.CreateClient().SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    private async Task CallGrowAsync()
    {
        var request = McpTestClient.Post("""{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"grow","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}""");
        request.Headers.Add("Mcp-Method", "tools/call");
        request.Headers.Add("Mcp-Name", "grow");
        using var response = await _gateway.CreateClient().SendAsync(request);
        response.EnsureSuccessStatusCode();
    }

    private static async Task<JsonElement> NextEventAsync(StreamReader reader)
    {
        string? line;
        do
        {
            line = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        while (line is not null && !line.StartsWith("data: ", StringComparison.Ordinal));

        Assert.NotNull(line);
        return JsonDocument.Parse(line["data: ".Length..]).RootElement.Clone();
    }
}
