using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CsCheck;
using Gateway.Contracts;
using Gateway.Contracts.Circuit;
using Gateway.Contracts.Messages;
using Gateway.Proxy.Audit;
using Gateway.Proxy.Circuit;
using Gateway.Proxy.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Proxy.Tests.Mcp;

/// <summary>
/// No client can hurt another through <c>/mcp</c>: whatever a request holds, its answer is a JSON-RPC result or error
/// (never a 500), a healthy backend's breaker never counts it, and exactly one audit event records each answer, an
/// event the audit service's own validator accepts. The backend is a real, fault-free MCP server; the audit events
/// are captured where the bus would take them.
/// </summary>
public sealed class HostileRequestTests : IAsyncLifetime
{
    private const int MaxArgumentsBytes = 16 * 1024;

    private readonly RecordingAuditTransport _audit = new();
    private FakeMcpServer _backend = null!;
    private GatewayFactory _gateway = null!;

    public async Task InitializeAsync()
    {
        _backend = await FakeMcpServer.StartAsync("alpha", [HostileRequests.Tool]);
        var settings = GatewayFactory.Settings(("alpha", _backend.Url));
        settings["Gateway:Mcp:Edge:MaxArgumentsBytes"] = MaxArgumentsBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["Gateway:Audit:BatchDelay"] = "00:00:00.001";
        settings["Gateway:Audit:SpillDirectory"] = Path.Combine(Path.GetTempPath(), "gateway-tests", Guid.NewGuid().ToString("N"));
        _gateway = new GatewayFactory(settings, services: s => s.AddSingleton<IAuditTransport>(_audit));
        _ = _gateway.Server;
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _backend.DisposeAsync();
    }

    private CircuitBreakerRegistry Circuits => _gateway.Services.GetRequiredService<CircuitBreakerRegistry>();

    [Fact]
    public async Task Generated_hostile_requests_are_answered_in_protocol_never_count_against_the_backend_and_are_each_audited_once()
    {
        var current = await SessionAsync("2025-11-25");
        var batching = await SessionAsync("2025-03-26");
        var answered = 0;

        await HostileRequests.Body.SampleAsync(async body =>
        {
            // A 2025-03-26 session takes batches, so their elements reach the edge one by one; later ones refuse them whole.
            var client = body.Length % 3 == 0 ? batching : current;
            var before = _audit.Events.Count;
            using var response = await client.SendAsync(Post(body));
            var shown = Show(body);

            Assert.True((int)response.StatusCode < 500, $"HTTP {(int)response.StatusCode} for {shown}");
            var answers = await AnswersAsync(response, shown);
            var events = await AuditedAsync(before + answers.Count);
            foreach (var e in events.Skip(before).Take(answers.Count))
            {
                Assert.True(AuditEventValidator.Validate(e) is null, $"audit event refused ({AuditEventValidator.Validate(e)}) for {shown}");
            }

            if (answers is [var only] && IdText(only) is { } id)
            {
                Assert.Equal(AuditLimits.Bound(id, AuditLimits.MaxNameLength), events[before].RequestId);
            }

            answered += answers.Count;
            Assert.Equal(CircuitState.Closed, Circuits.GetState("alpha"));
            Assert.Equal(0, Circuits.GetFailureCount("alpha"));
        }, iter: 400, threads: 1, print: b => Show(b));

        // Events are published in order: once the sentinel's is in, any duplicate of an earlier one would be too.
        var sentinel = await current.RequestAsync("tools/call", """{"name":"echo","arguments":{}}""", id: 987654321);
        Assert.True(sentinel.TryGetProperty("result", out _));
        await _audit.WaitForAsync(e => e.RequestId == "987654321");
        Assert.Equal(answered + 1, _audit.Events.Count);
        Assert.Contains(_audit.Events, e => e.Status == AuditStatus.Ok);
        Assert.Contains(_audit.Events, e => e.Status == AuditStatus.InvalidRequest);
    }

    [Fact]
    public async Task A_call_with_an_id_longer_than_the_audit_holds_is_answered_and_audited_with_the_ids_hash()
    {
        var client = await SessionAsync("2025-11-25");
        var id = new string('7', 1000);

        using var response = await client.PostAsync(
            """{"jsonrpc":"2.0","id":""" + JsonSerializer.Serialize(id) + ""","method":"tools/call","params":{"name":"echo","arguments":{"x":1}}}""");

        var answer = (await McpTestClient.ReadMessagesAsync(response)).Single();
        Assert.Equal(id, answer.GetProperty("id").GetString());
        Assert.Equal("alpha:echo:{\"x\":1}", answer.GetProperty("result").GetProperty("content")[0].GetProperty("text").GetString());
        var audited = await _audit.WaitForAsync(e => e.Method == "tools/call");
        Assert.Null(AuditEventValidator.Validate(audited));
        Assert.Equal(AuditStatus.Ok, audited.Status);
        Assert.StartsWith(new string('7', 100), audited.RequestId, StringComparison.Ordinal);
        Assert.EndsWith(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(id))), audited.RequestId, StringComparison.Ordinal);
        Assert.Single(_audit.Events);
    }

    [Fact]
    public async Task An_id_beyond_the_edge_limit_is_refused_with_32600_and_audited()
    {
        var client = await SessionAsync("2025-11-25");

        using var response = await client.PostAsync(
            $$$"""{"jsonrpc":"2.0","id":"{{{new string('7', 5000)}}}","method":"tools/call","params":{"name":"echo"}}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(GatewayErrorCodes.InvalidRequest, (await McpTestClient.ReadMessagesAsync(response)).Single().GetProperty("error").GetProperty("code").GetInt32());
        var audited = await _audit.WaitForAsync(_ => true);
        Assert.Null(AuditEventValidator.Validate(audited));
        Assert.Equal(AuditStatus.InvalidRequest, audited.Status);
        Assert.Empty(_backend.CalledTools);
    }

    [Theory]
    [InlineData("""{"name":"echo","arguments":{"x":"\ud800"}}""", GatewayErrorCodes.ParseError)]
    [InlineData("""{"name":"ec\udc00ho"}""", GatewayErrorCodes.ParseError)]
    [InlineData("""{"name":"echo","_meta":{"progressToken":"\ud800"}}""", GatewayErrorCodes.ParseError)]
    [InlineData("""{"name":"echo","_meta":{"progressToken":{"a":1}}}""", GatewayErrorCodes.InvalidParams)]
    [InlineData("""{"name":"echo","_meta":[]}""", GatewayErrorCodes.InvalidParams)]
    [InlineData("""{"name":"echo","arguments":[1,2]}""", GatewayErrorCodes.InvalidParams)]
    [InlineData("""{"name":"echo","arguments":{"big":"BIG"}}""", GatewayErrorCodes.InvalidParams)]
    [InlineData("""{"name":"echo","arguments":{"deep":DEEP}}""", GatewayErrorCodes.InvalidParams)]
    [InlineData("""{"name":"echo\u0000"}""", GatewayErrorCodes.InvalidParams)]
    [InlineData("""{"name":"ec\u007fho"}""", GatewayErrorCodes.InvalidParams)]
    [InlineData("""{"name":42}""", GatewayErrorCodes.InvalidParams)]
    [InlineData("""{"name":"LONG"}""", GatewayErrorCodes.InvalidParams)]
    public async Task Unforwardable_calls_are_refused_at_the_edge_audited_and_never_open_a_healthy_backends_circuit(string parameters, int code)
    {
        parameters = parameters
            .Replace("BIG", new string('b', MaxArgumentsBytes), StringComparison.Ordinal)
            .Replace("DEEP", new string('[', 70) + new string(']', 70), StringComparison.Ordinal)
            .Replace("LONG", new string('n', AuditLimits.MaxTargetLength + 1), StringComparison.Ordinal);
        var client = await SessionAsync("2025-11-25");

        // More than any breaker threshold: before the edge, a handful of these opened the circuit for every client.
        for (var i = 0; i < 12; i++)
        {
            using var response = await client.PostAsync($$"""{"jsonrpc":"2.0","id":{{i}},"method":"tools/call","params":{{parameters}}}""");
            Assert.True((int)response.StatusCode < 500);
            Assert.Equal(code, (await McpTestClient.ReadMessagesAsync(response)).Single().GetProperty("error").GetProperty("code").GetInt32());
        }

        Assert.Equal(CircuitState.Closed, Circuits.GetState("alpha"));
        Assert.Equal(0, Circuits.GetFailureCount("alpha"));
        Assert.Empty(_backend.CalledTools);
        var audited = await AuditedAsync(12);
        Assert.All(audited, e => Assert.Null(AuditEventValidator.Validate(e)));
        Assert.All(audited, e => Assert.Equal(code, e.ErrorCode));
        var answer = await client.RequestAsync("tools/call", """{"name":"echo","arguments":{}}""", id: 99);
        Assert.True(answer.TryGetProperty("result", out _), "another client's call still goes through");
    }

    [Theory]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","name":"secret"}}""")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/list","method":"tools/call","params":{"name":"echo"}}""")]
    [InlineData("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"a":1,"a":2}}}""")]
    public async Task A_request_repeating_a_property_is_refused_before_any_backend_and_audited(string body)
    {
        var client = await SessionAsync("2025-11-25");

        using var response = await client.PostAsync(body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(GatewayErrorCodes.ParseError, (await McpTestClient.ReadMessagesAsync(response)).Single().GetProperty("error").GetProperty("code").GetInt32());
        var audited = await _audit.WaitForAsync(_ => true);
        Assert.Null(AuditEventValidator.Validate(audited));
        Assert.Equal(GatewayErrorCodes.ParseError, audited.ErrorCode);
        Assert.Empty(_backend.CalledTools);
    }

    [Fact]
    public async Task Escaped_surrogate_pairs_and_non_ASCII_are_forwarded_unchanged()
    {
        var client = await SessionAsync("2025-11-25");

        var answer = await client.RequestAsync("tools/call", """{"name":"echo","arguments":{"y":"\ud83d\ude00 é"},"_meta":{"progressToken":"\u00e9"}}""");

        var echoed = answer.GetProperty("result").GetProperty("content")[0].GetProperty("text").GetString()!;
        Assert.StartsWith("alpha:echo:", echoed, StringComparison.Ordinal);
        Assert.Equal("😀 é", JsonDocument.Parse(echoed["alpha:echo:".Length..]).RootElement.GetProperty("y").GetString());
        Assert.Equal(CircuitState.Closed, Circuits.GetState("alpha"));
        Assert.Equal(AuditStatus.Ok, (await _audit.WaitForAsync(_ => true)).Status);
    }

    private async Task<McpTestClient> SessionAsync(string version)
    {
        var client = new McpTestClient(_gateway.CreateClient());
        await client.InitializeAsync(version);
        return client;
    }

    private static HttpRequestMessage Post(byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/mcp") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("Accept", "application/json, text/event-stream");
        return request;
    }

    /// <summary>Every JSON-RPC response in the answer (none for 202), each checked to be one.</summary>
    private static async Task<List<JsonElement>> AnswersAsync(HttpResponseMessage response, string shown)
    {
        if (response.StatusCode == HttpStatusCode.Accepted)
        {
            return [];
        }

        var messages = await McpTestClient.ReadMessagesAsync(response);
        var answers = messages is [{ ValueKind: JsonValueKind.Array } array] ? [.. array.EnumerateArray()] : messages;
        Assert.NotEmpty(answers);
        foreach (var answer in answers)
        {
            Assert.True(answer.TryGetProperty("jsonrpc", out var version) && version.GetString() == "2.0", $"not JSON-RPC: {answer} for {shown}");
            var isResult = answer.TryGetProperty("result", out _);
            var isError = answer.TryGetProperty("error", out var error);
            Assert.True(isResult ^ isError, $"neither a result nor an error: {answer} for {shown}");
            Assert.True(!isError || error.GetProperty("code").ValueKind == JsonValueKind.Number && error.GetProperty("message").ValueKind == JsonValueKind.String,
                $"malformed error: {answer} for {shown}");
            Assert.True(!isError || error.GetProperty("code").GetInt32() != GatewayErrorCodes.InternalError, $"internal error for {shown}: {answer}");
        }

        return answers;
    }

    private static string? IdText(JsonElement answer) => answer.TryGetProperty("id", out var id)
        ? id.ValueKind switch
        {
            JsonValueKind.String => id.GetString(),
            JsonValueKind.Number => id.GetRawText(),
            _ => null,
        }
        : null;

    /// <summary>Waits until <paramref name="count"/> events were published (the bound only turns a hang into a failure).</summary>
    private async Task<List<AuditEvent>> AuditedAsync(int count)
    {
        for (var i = 0; i < 3000 && _audit.Events.Count < count; i++)
        {
            await Task.Delay(10);
        }

        var events = _audit.Events.ToList();
        Assert.True(events.Count >= count, $"{events.Count} audit events, expected {count}");
        return events;
    }

    private static string Show(byte[] body)
    {
        var text = Encoding.UTF8.GetString(body);
        return text.Length <= 400 ? text : text[..400] + $"… ({body.Length} bytes)";
    }
}
