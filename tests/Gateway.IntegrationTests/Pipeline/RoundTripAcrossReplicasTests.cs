using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Gateway.Contracts.Configuration;
using Gateway.Testing;
using Gateway.Testing.Aspire;

namespace Gateway.IntegrationTests.Pipeline;

/// <summary>
/// The whole system with two proxy replicas (separate processes, no affinity) and a session-era backend that asks the
/// client for input mid-call: a 2026-07-28 client's multi round-trip call whose retry lands on the other replica.
/// </summary>
public sealed class RoundTripAcrossReplicasTests(RoundTripAcrossReplicasTests.SystemFixture system) : IClassFixture<RoundTripAcrossReplicasTests.SystemFixture>
{
    [Fact]
    public async Task A_2026_client_completes_an_elicitation_round_trip_with_its_retry_landing_on_the_other_replica()
    {
        using var first = system.App.CreateAdminClient("proxy");
        using var other = system.App.CreateAdminClient("proxy-2");

        var asked = (await CallAsync(first, id: "call-1", retry: null)).GetProperty("result");
        Assert.Equal("input_required", asked.GetProperty("resultType").GetString());
        var question = Assert.Single(asked.GetProperty("inputRequests").EnumerateObject());
        Assert.Equal("elicitation/create", question.Value.GetProperty("method").GetString());

        var answers = "{" + JsonSerializer.Serialize(question.Name) + """:{"action":"accept","content":{"name":"Ada"}}}""";
        var answered = await CallAsync(other, id: "call-2", retry: (answers, asked.GetProperty("requestState").GetString()!));

        Assert.Equal("call-2", answered.GetProperty("id").GetString());
        Assert.Equal("Hello, Ada", answered.GetProperty("result").GetProperty("content")[0].GetProperty("text").GetString());
        Assert.Equal((1, 1), (system.Backend.Calls, system.Backend.Answers));
        // One logical call, one audit event: under the first request's id, answered.
        var audited = await system.App.WaitForAuditAsync(e => e.GetProperty("target").GetString() == "greet", "method=tools/call");
        Assert.Equal(("call-1", "ok"), (audited.GetProperty("requestId").GetString(), audited.GetProperty("status").GetString()));
        Assert.Single(await system.App.AuditAsync("method=tools/call"), e => e.GetProperty("target").GetString() == "greet");
    }

    private static async Task<JsonElement> CallAsync(HttpClient http, string id, (string Answers, string State)? retry)
    {
        var more = retry is { } r ? ",\"inputResponses\":" + r.Answers + ",\"requestState\":" + JsonSerializer.Serialize(r.State) : "";
        var body = $$"""{"jsonrpc":"2.0","id":"{{id}}","method":"tools/call","params":{"name":"greet","arguments":{}""" + more
            + ""","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"elicitation":{}}}}}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/mcp") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("Accept", "application/json, text/event-stream");
        request.Headers.Add("MCP-Protocol-Version", "2026-07-28");
        request.Headers.Add("Mcp-Method", "tools/call");
        request.Headers.Add("Mcp-Name", "greet");
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var text = await response.Content.ReadAsStringAsync();
        var last = response.Content.Headers.ContentType?.MediaType == "text/event-stream"
            ? text.Split('\n').Last(line => line.StartsWith("data: ", StringComparison.Ordinal))["data: ".Length..]
            : text;
        return JsonDocument.Parse(last).RootElement.Clone();
    }

    /// <summary>The whole system with a second proxy replica and the eliciting backend <c>greeter</c>.</summary>
    public sealed class SystemFixture : IAsyncLifetime
    {
        private GatewayTestApp? _app;

        public GatewayTestApp App => _app ?? throw new InvalidOperationException("Not started.");

        public ElicitingMcpServer Backend { get; private set; } = null!;

        public async Task InitializeAsync()
        {
            Backend = await ElicitingMcpServer.StartAsync();
            var builder = (await GatewayAppBuilder.CreateAsync())
                .AddReplica("proxy", "proxy-2")
                .ConfigureGateway(options => options.Backends.Add(new BackendOptions { Name = "greeter", Url = Backend.Url }));
            _app = await builder.StartAsync();
        }

        public async Task DisposeAsync()
        {
            if (_app is not null)
            {
                await _app.DisposeAsync();
            }

            await Backend.DisposeAsync();
        }
    }
}
