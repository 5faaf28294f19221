using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Gateway.IntegrationTests.Circuit;
using Gateway.Testing;

namespace Gateway.IntegrationTests.Mcp;

/// <summary>
/// The whole system with two proxy replicas sharing Garnet: a session-era client whose every request lands on the
/// other replica than the last, as behind a round-robin balancer without affinity, against the AppHost's
/// server-everything backend (progress and elicitation included).
/// </summary>
[Collection(CircuitSystemTests.Name)]
public sealed class SessionsOnAnyReplicaTests(CircuitSystemFixture system) : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public Task InitializeAsync() => system.EnsureRunningAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_client_alternating_between_the_replicas_on_every_request_completes_a_whole_session()
    {
        using var a = system.App.CreateAdminClient(CircuitSystemFixture.Proxies[0]);
        using var b = system.App.CreateAdminClient(CircuitSystemFixture.Proxies[1]);

        using var initialize = await a.SendAsync(Post(null, """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{"elicitation":{}},"clientInfo":{"name":"alternating","version":"1"}}}"""));
        Assert.Equal(HttpStatusCode.OK, initialize.StatusCode);
        var session = initialize.Headers.GetValues("Mcp-Session-Id").Single();
        using var initialized = await b.SendAsync(Post(session, """{"jsonrpc":"2.0","method":"notifications/initialized"}"""));
        Assert.Equal(HttpStatusCode.Accepted, initialized.StatusCode);

        var tools = await LastMessageAsync(await a.SendAsync(Post(session, """{"jsonrpc":"2.0","id":2,"method":"tools/list"}""")));
        Assert.Contains(tools.GetProperty("result").GetProperty("tools").EnumerateArray(), t => t.GetProperty("name").GetString() == "everything__echo");

        // progress of a call on B, on B's answer stream, with the client's own token
        using var longRunning = await b.SendAsync(Post(session,
            """{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"everything__trigger-long-running-operation","arguments":{"duration":0.2,"steps":2},"_meta":{"progressToken":"alternating-1"}}}"""));
        var progressed = await MessagesAsync(longRunning);
        Assert.Contains(progressed, m => m.TryGetProperty("method", out var method) && method.GetString() == "notifications/progress"
            && m.GetProperty("params").GetProperty("progressToken").GetString() == "alternating-1");
        Assert.StartsWith("Long running operation completed", Text(progressed[^1]), StringComparison.Ordinal);

        // an elicitation raised during a call on A, answered by a POST that lands on B
        using var asking = await a.SendAsync(Post(session, """{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"everything__trigger-elicitation-request","arguments":{}}}"""),
            HttpCompletionOption.ResponseHeadersRead);
        using var stream = new StreamReader(await asking.Content.ReadAsStreamAsync());
        var elicitation = await NextMessageAsync(stream);
        Assert.Equal("elicitation/create", elicitation.GetProperty("method").GetString());
        using var answered = await b.SendAsync(Post(session, """{"jsonrpc":"2.0","id":""" + elicitation.GetProperty("id").GetRawText() + ""","result":{"action":"decline"}}"""));
        Assert.Equal(HttpStatusCode.Accepted, answered.StatusCode);
        var asked = await NextMessageAsync(stream);
        Assert.Equal(4, asked.GetProperty("id").GetInt32());
        Assert.Contains("declined", Text(asked), StringComparison.Ordinal);

        var echoed = await LastMessageAsync(await a.SendAsync(Post(session,
            """{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"everything__echo","arguments":{"message":"alternating"}}}""")));
        Assert.Contains("alternating", Text(echoed), StringComparison.Ordinal);

        // ended on B: refused on A, which held the session, and on B
        using var deleted = await b.SendAsync(WithSession(new HttpRequestMessage(HttpMethod.Delete, "/mcp"), session));
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        await Eventually.ValueAsync(async () =>
        {
            using var refused = await a.SendAsync(Post(session, """{"jsonrpc":"2.0","id":6,"method":"tools/list"}"""));
            return refused.StatusCode == HttpStatusCode.NotFound ? "refused" : null;
        }, Patience, "the ending reaching the other replica");
        using var refusedOnB = await b.SendAsync(Post(session, """{"jsonrpc":"2.0","id":7,"method":"tools/list"}"""));
        Assert.Equal(HttpStatusCode.NotFound, refusedOnB.StatusCode);
    }

    private static HttpRequestMessage Post(string? session, string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/mcp") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("Accept", "application/json, text/event-stream");
        return session is null ? request : WithSession(request, session);
    }

    private static HttpRequestMessage WithSession(HttpRequestMessage request, string session)
    {
        request.Headers.Add("Mcp-Session-Id", session);
        request.Headers.Add("MCP-Protocol-Version", "2025-06-18");
        return request;
    }

    private static string Text(JsonElement response) =>
        response.GetProperty("result").GetProperty("content")[0].GetProperty("text").GetString() ?? "";

    private static async Task<JsonElement> LastMessageAsync(HttpResponseMessage response)
    {
        using (response)
        {
            return (await MessagesAsync(response))[^1];
        }
    }

    private static async Task<List<JsonElement>> MessagesAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        if (response.Content.Headers.ContentType?.MediaType != "text/event-stream")
        {
            return [JsonDocument.Parse(body).RootElement.Clone()];
        }

        return [.. body.Split('\n').Where(l => l.StartsWith("data: ", StringComparison.Ordinal)).Select(l => JsonDocument.Parse(l["data: ".Length..]).RootElement.Clone())];
    }

    private static async Task<JsonElement> NextMessageAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync().WaitAsync(Patience) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                return JsonDocument.Parse(line["data: ".Length..]).RootElement.Clone();
            }
        }

        throw new InvalidOperationException("The stream ended.");
    }
}
