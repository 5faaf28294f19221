using System.Net;
using System.Text.Json;
using CsCheck;
using Gateway.Contracts;
using Gateway.Proxy.Audit;
using Gateway.Proxy.Mcp.RoundTrips;
using Gateway.Proxy.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Proxy.Tests.Mcp;

/// <summary>
/// Multi round-trip requests (2026-07-28) in front of a session-era backend: the backend's elicitation becomes an
/// <c>input_required</c> result, and the client's retry continues the same backend call, on this replica or another.
/// </summary>
public sealed class RoundTripTests : IAsyncLifetime
{
    private const string Capable = """{"elicitation":{}}""";
    private readonly RecordingAuditTransport _audit = new();
    private FakeMcpServer _backend = null!;
    private readonly List<GatewayFactory> _gateways = [];

    public async Task InitializeAsync() => _backend = await FakeMcpServer.StartAsync("alpha", ["echo", "ask"]);

    public async Task DisposeAsync()
    {
        foreach (var gateway in _gateways)
        {
            await gateway.DisposeAsync();
        }

        await _backend.DisposeAsync();
    }

    [Fact]
    public async Task A_backend_elicitation_becomes_input_required_and_the_retry_with_the_answer_gets_the_result()
    {
        var http = Gateway().CreateClient();

        var first = await CallAsync(http, id: 1, Capable);
        var result = first.GetProperty("result");
        Assert.Equal("input_required", result.GetProperty("resultType").GetString());
        var (key, question) = Assert.Single(result.GetProperty("inputRequests").EnumerateObject().Select(p => (p.Name, p.Value)));
        Assert.Equal("elicitation/create", question.GetProperty("method").GetString());
        Assert.Equal("Your name?", question.GetProperty("params").GetProperty("message").GetString());

        var second = await CallAsync(http, id: 2, Capable, Answer(key), result.GetProperty("requestState").GetString());

        Assert.Equal(2, second.GetProperty("id").GetInt32());
        Assert.Equal("""answer:{"action":"accept","content":{"name":"octocat"}}""",
            second.GetProperty("result").GetProperty("content")[0].GetProperty("text").GetString());
        Assert.Equal(1, _backend.CalledTools.Count(t => t == "ask"));
    }

    [Fact]
    public async Task A_call_with_one_round_trip_is_audited_once()
    {
        var http = Gateway().CreateClient();
        var first = (await CallAsync(http, id: 1, Capable)).GetProperty("result");
        var key = first.GetProperty("inputRequests").EnumerateObject().Single().Name;
        await CallAsync(http, id: 2, Capable, Answer(key), first.GetProperty("requestState").GetString());

        // Events are published in order: once a later call's event is out, a second one for this call would be too.
        var later = McpTestClient.Post("""{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"echo","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}""");
        later.Headers.Add("Mcp-Method", "tools/call");
        later.Headers.Add("Mcp-Name", "echo");
        using (await http.SendAsync(later))
        {
        }

        await _audit.WaitForAsync(e => e.Method == "tools/call" && e.Target == "echo");
        var audited = Assert.Single(_audit.Events, e => e.Method == "tools/call" && e.Target == "ask");
        Assert.Equal(AuditStatus.Ok, audited.Status);
        Assert.Equal("1", audited.RequestId);
    }

    [Fact]
    public async Task A_client_without_the_elicitation_capability_is_never_asked()
    {
        var http = Gateway().CreateClient();

        var answer = await CallAsync(http, id: 1, capabilities: "{}");

        var result = answer.GetProperty("result");
        Assert.False(result.TryGetProperty("resultType", out var type) && type.GetString() == "input_required");
        // The backend got an error instead of an answer, and finished the call with nothing.
        Assert.Equal("answer:", result.GetProperty("content")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task The_retry_landing_on_another_replica_is_forwarded_to_the_replica_holding_the_call()
    {
        var replicaA = Gateway(kestrel: true);
        var replicaB = Gateway(kestrel: true);
        using var httpA = new HttpClient { BaseAddress = replicaA.ListeningAddress };
        using var httpB = new HttpClient { BaseAddress = replicaB.ListeningAddress };

        var first = (await CallAsync(httpA, id: 1, Capable)).GetProperty("result");
        var key = first.GetProperty("inputRequests").EnumerateObject().Single().Name;
        var second = await CallAsync(httpB, id: 2, Capable, Answer(key), first.GetProperty("requestState").GetString());

        Assert.StartsWith("answer:", second.GetProperty("result").GetProperty("content")[0].GetProperty("text").GetString());
        Assert.Equal(0, replicaA.Services.GetRequiredService<HeldCalls>().Count);
        Assert.Equal(1, _backend.CalledTools.Count(t => t == "ask"));
    }

    [Fact]
    public async Task Altered_request_state_is_refused_with_invalid_params_and_the_held_call_keeps_waiting()
    {
        var http = Gateway().CreateClient();
        var first = (await CallAsync(http, id: 1, Capable)).GetProperty("result");
        var key = first.GetProperty("inputRequests").EnumerateObject().Single().Name;
        var state = first.GetProperty("requestState").GetString()!;

        // Any other string: a changed, cut or extended state, or random text.
        var altered = Gen.OneOf(
            Gen.Int[0, state.Length - 1].Select(Gen.Char['A', 'z']).Select((i, c) => state[..i] + c + state[(i + 1)..]),
            Gen.Int[0, state.Length - 1].Select(i => state[..i]),
            Gen.String.Select(s => state + s),
            Gen.String).Where(s => s != state);
        await altered.SampleAsync(async candidate =>
        {
            var refused = await CallAsync(http, id: 3, Capable, Answer(key), candidate);
            return refused.GetProperty("error").GetProperty("code").GetInt32() == GatewayErrorCodes.InvalidParams;
        }, iter: 25);

        var answered = await CallAsync(http, id: 2, Capable, Answer(key), state);
        Assert.StartsWith("answer:", answered.GetProperty("result").GetProperty("content")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task Another_client_cannot_continue_a_held_call()
    {
        var anonymous = Gateway().CreateClient();
        var first = (await CallAsync(anonymous, id: 1, Capable)).GetProperty("result");
        var key = first.GetProperty("inputRequests").EnumerateObject().Single().Name;
        var other = _gateways[0].CreateClient();
        other.DefaultRequestHeaders.Add("X-Api-Key", "key-1");

        var refused = await CallAsync(other, id: 2, Capable, Answer(key), first.GetProperty("requestState").GetString());

        Assert.Equal(GatewayErrorCodes.InvalidParams, refused.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal(1, _gateways[0].Services.GetRequiredService<HeldCalls>().Count);
    }

    [Fact]
    public async Task Calls_beyond_the_held_call_cap_are_refused_and_calls_that_ask_nothing_are_not_held()
    {
        var gateway = Gateway(("Gateway:Mcp:MaxHeldCalls", "1"));
        var http = gateway.CreateClient();
        var held = (await CallAsync(http, id: 1, Capable)).GetProperty("result");
        Assert.Equal("input_required", held.GetProperty("resultType").GetString());

        var refused = await CallAsync(http, id: 2, Capable);
        var echoed = McpTestClient.Post("""{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}""");
        echoed.Headers.Add("Mcp-Method", "tools/call");
        echoed.Headers.Add("Mcp-Name", "echo");
        using var echo = await http.SendAsync(echoed);

        Assert.Equal(GatewayErrorCodes.TransportError, refused.GetProperty("error").GetProperty("code").GetInt32());
        Assert.True((await McpTestClient.ReadMessagesAsync(echo))[^1].TryGetProperty("result", out _));
        Assert.Equal(1, gateway.Services.GetRequiredService<HeldCalls>().Count);
    }

    [Fact]
    public async Task A_held_call_whose_client_does_not_return_is_cancelled_and_its_state_refused()
    {
        var gateway = Gateway(("Gateway:Mcp:InputTimeout", "00:00:01"));
        var http = gateway.CreateClient();
        var first = (await CallAsync(http, id: 1, Capable)).GetProperty("result");
        var key = first.GetProperty("inputRequests").EnumerateObject().Single().Name;

        var cancelled = await _audit.WaitForAsync(e => e.Method == "tools/call" && e.Target == "ask");
        var refused = await CallAsync(http, id: 2, Capable, Answer(key), first.GetProperty("requestState").GetString());

        Assert.Equal(AuditStatus.Cancelled, cancelled.Status);
        Assert.Equal(0, gateway.Services.GetRequiredService<HeldCalls>().Count);
        Assert.Equal(GatewayErrorCodes.InvalidParams, refused.GetProperty("error").GetProperty("code").GetInt32());
    }

    private GatewayFactory Gateway(params (string Key, string Value)[] extra) => Gateway(kestrel: false, extra);

    private GatewayFactory Gateway(bool kestrel, params (string Key, string Value)[] extra)
    {
        var settings = GatewayFactory.Settings(("alpha", _backend.Url));
        settings["Gateway:Audit:BatchDelay"] = "00:00:00.010";
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        var gateway = new GatewayFactory(settings, kestrel, s => s.AddSingleton<IAuditTransport>(_audit));
        _gateways.Add(gateway);
        return gateway;
    }

    private static string Answer(string key) =>
        "{" + JsonSerializer.Serialize(key) + """:{"action":"accept","content":{"name":"octocat"}}}""";

    /// <summary>A 2026-07-28 <c>tools/call</c> of <c>ask</c>; with answers and state when it is a retry.</summary>
    private static async Task<JsonElement> CallAsync(HttpClient http, int id, string capabilities, string? answers = null, string? state = null)
    {
        var retry = state is null ? "" : $$""","inputResponses":{{answers}},"requestState":{{JsonSerializer.Serialize(state)}}""";
        var request = McpTestClient.Post($$"""{"jsonrpc":"2.0","id":{{id}},"method":"tools/call","params":{"name":"ask","arguments":{}{{retry}},"_meta":"""
            + $$"""{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{{capabilities}}""" + "}}}");
        request.Headers.Add("MCP-Protocol-Version", "2026-07-28");
        request.Headers.Add("Mcp-Method", "tools/call");
        request.Headers.Add("Mcp-Name", "ask");
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await McpTestClient.ReadMessagesAsync(response))[^1];
    }
}
