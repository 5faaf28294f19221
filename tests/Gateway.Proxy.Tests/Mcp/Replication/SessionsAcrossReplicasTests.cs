using System.Diagnostics.Metrics;
using System.Net;
using System.Text.Json;
using Gateway.Proxy.Mcp;
using Gateway.Proxy.Mcp.Replication;
using Gateway.Proxy.Tests.Fakes;
using CsCheck;
using Gateway.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Proxy.Tests.Mcp.Replication;

/// <summary>
/// Two whole proxy replicas sharing one Garnet, behind a "balancer" that sends every request of one client to the
/// other replica than the last: nothing about the session may depend on where a request lands.
/// </summary>
public sealed class SessionsAcrossReplicasTests(GarnetServer garnet) : IClassFixture<GarnetServer>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private FakeMcpServer _alpha = null!;

    public async Task InitializeAsync() => _alpha = await FakeMcpServer.StartAsync("alpha", ["echo", "progress", "ask"]);

    public async Task DisposeAsync() => await _alpha.DisposeAsync();

    [Fact]
    public async Task A_client_alternating_between_two_replicas_on_every_request_keeps_its_session_through_to_its_end()
    {
        await using var replicaA = Replica();
        await using var replicaB = Replica();
        using var tripsA = new RoundTripCounter(replicaA);
        using var tripsB = new RoundTripCounter(replicaB);
        var a = new McpTestClient(replicaA.CreateClient());
        var b = new McpTestClient(replicaB.CreateClient());
        var trips = new List<(string Step, long A, long B)>();
        async Task<T> Step<T>(string name, Func<Task<T>> step)
        {
            var (beforeA, beforeB) = (tripsA.Count, tripsB.Count);
            var result = await step();
            trips.Add((name, tripsA.Count - beforeA, tripsB.Count - beforeB));
            return result;
        }

        // initialize on A, initialized on B
        await Step("initialize on A", () => a.InitializeAsync("2025-06-18"));
        (b.SessionId, b.ProtocolVersion) = (a.SessionId, a.ProtocolVersion);
        var session = a.SessionId!;

        // tools/list on B: a replica new to the session takes it from Redis
        var tools = await Step("tools/list on B", () => b.RequestAsync("tools/list", id: 1));
        Assert.Equal(["echo", "progress", "ask"], tools.GetProperty("result").GetProperty("tools").EnumerateArray().Select(t => t.GetProperty("name").GetString()));

        // logging/setLevel and a subscription on A: B's copy learns them, and B's backend session (opened later) is told them
        await Step("logging/setLevel on A", () => a.RequestAsync("logging/setLevel", """{"level":"debug"}""", id: 2));
        await Step("resources/subscribe on A", () => a.RequestAsync("resources/subscribe", """{"uri":"fake://alpha/readme"}""", id: 3));
        var copyOnB = replicaB.Services.GetRequiredService<McpSessionStore>().FindHeld(session)!;
        await Eventually.ValueAsync(() => Task.FromResult(copyOnB is { LogLevel: "debug", Subscriptions.Count: 1 } ? "learnt" : null), Patience, "B learning level and subscription");
        var setLevels = _alpha.Methods.Count(m => m == "logging/setLevel");
        var subscribes = _alpha.Methods.Count(m => m == "resources/subscribe");

        // tools/call with progress on B: the progress comes on B's answer stream, with the client's own token
        var progressed = await Step("tools/call progress on B", () => b.RequestAllAsync("tools/call", """{"name":"progress","_meta":{"progressToken":"p-1"}}""", id: 4));
        Assert.Equal(["notifications/progress", "notifications/message"], progressed.Take(2).Select(m => m.GetProperty("method").GetString()));
        Assert.Equal("p-1", progressed[0].GetProperty("params").GetProperty("progressToken").GetString());
        Assert.Equal("done", Text(progressed[^1]));
        await Eventually.ValueAsync(() => Task.FromResult(_alpha.Methods.Count(m => m == "resources/subscribe") > subscribes ? "replayed" : null), Patience, "subscription replayed by B");
        Assert.True(_alpha.Methods.Count(m => m == "logging/setLevel") > setLevels);

        // GET stream held by A; a call on B answered as plain JSON: its progress can only travel on the stream, through A
        using var stream = await a.Http.SendAsync(WithSession(new HttpRequestMessage(HttpMethod.Get, "/mcp"), a, "text/event-stream"), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        using var events = new StreamReader(await stream.Content.ReadAsStreamAsync());
        var jsonOnly = await Step("tools/call progress on B (JSON answer)", () => b.PostAsync(
            """{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"progress","_meta":{"progressToken":"p-2"}}}""", "application/json"));
        Assert.Equal("done", Text((await McpTestClient.ReadMessagesAsync(jsonOnly)).Single()));
        var relayed = await NextMessageAsync(events);
        Assert.Equal("notifications/progress", relayed.GetProperty("method").GetString());
        Assert.Equal("p-2", relayed.GetProperty("params").GetProperty("progressToken").GetString());

        // an elicitation raised during a call on B, answered by a POST that lands on A
        using var asking = await b.Http.SendAsync(
            WithSession(McpTestClient.Post("""{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"ask"}}"""), b), HttpCompletionOption.ResponseHeadersRead);
        using var answerStream = new StreamReader(await asking.Content.ReadAsStreamAsync());
        var elicitation = await NextMessageAsync(answerStream);
        Assert.Equal("elicitation/create", elicitation.GetProperty("method").GetString());
        using var answered = await Step("elicitation answer on A", () => a.PostAsync(
            """{"jsonrpc":"2.0","id":""" + elicitation.GetProperty("id").GetRawText() + ""","result":{"action":"accept","content":{"name":"Ada"}}}"""));
        Assert.Equal(HttpStatusCode.Accepted, answered.StatusCode);
        var asked = await NextMessageAsync(answerStream);
        Assert.Equal(6, asked.GetProperty("id").GetInt32());
        Assert.Equal("""answer:{"action":"accept","content":{"name":"Ada"}}""", Text(asked));

        // tools/call on A, then DELETE on B: refused on A, which held the session, and on B
        var echoed = await Step("tools/call echo on A", () => a.RequestAsync("tools/call", """{"name":"echo","arguments":{"n":7}}""", id: 7));
        Assert.Equal("""alpha:echo:{"n":7}""", Text(echoed));
        using var deleted = await Step("DELETE on B", () => b.SendAsync(new HttpRequestMessage(HttpMethod.Delete, "/mcp")));
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        var refusedOnA = await Eventually.ValueAsync(async () =>
        {
            var response = await a.PostAsync("""{"jsonrpc":"2.0","id":8,"method":"tools/list"}""");
            return response.StatusCode == HttpStatusCode.NotFound ? response : null;
        }, Patience, "the ending reaching A");
        using var refusedOnB = await b.PostAsync("""{"jsonrpc":"2.0","id":9,"method":"tools/list"}""");

        Assert.Equal(HttpStatusCode.NotFound, refusedOnA.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, refusedOnB.StatusCode);
        // Redis round trips on each call's path: one to create, one where the session is new, one to end it; none otherwise.
        Assert.Equal(
            [("initialize on A", 1L, 0L), ("tools/list on B", 0L, 1L), ("logging/setLevel on A", 1L, 0L), ("resources/subscribe on A", 1L, 0L),
             ("tools/call progress on B", 0L, 0L), ("tools/call progress on B (JSON answer)", 0L, 0L), ("elicitation answer on A", 0L, 0L),
             ("tools/call echo on A", 0L, 0L), ("DELETE on B", 0L, 1L)],
            trips);
    }

    [Fact]
    public async Task A_session_id_no_replica_issued_is_refused_with_404_on_every_replica_and_never_kept()
    {
        await using var replicaA = Replica();
        await using var replicaB = Replica();
        var clients = new[] { new McpTestClient(replicaA.CreateClient()), new McpTestClient(replicaB.CreateClient()) };
        await clients[0].InitializeAsync();
        var issued = clients[0].SessionId!;
        var sent = 0;

        // Printable ASCII, the header's alphabet, short and long; and near misses of an issued id.
        await Gen.OneOf(Gen.String[Gen.Char['!', '~'], 1, 64], Gen.String[Gen.Char['!', '~'], 1000, 8000],
                Gen.Int[0, 31].Select(i => issued[..i] + (issued[i] == '0' ? '1' : '0') + issued[(i + 1)..]))
            .Where(id => id != issued)
            .SampleAsync(async id =>
            {
                var client = clients[Interlocked.Increment(ref sent) % 2];
                using var request = McpTestClient.Post("""{"jsonrpc":"2.0","id":1,"method":"tools/list"}""");
                request.Headers.TryAddWithoutValidation("Mcp-Session-Id", id);
                using var response = await client.Http.SendAsync(request);
                Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            }, iter: 200, threads: 1);

        Assert.Equal(1, replicaA.Services.GetRequiredService<McpSessionStore>().Count);
        Assert.Equal(0, replicaB.Services.GetRequiredService<McpSessionStore>().Count);
    }

    /// <summary>A whole proxy on the shared Garnet (set early: the proxy decides on Redis while it registers its services).</summary>
    private WebApplicationFactory<Program> Replica() =>
        new GatewayFactory(GatewayFactory.Settings(("alpha", _alpha.Url)))
            .WithWebHostBuilder(web => web.UseSetting("ConnectionStrings:redis", garnet.ConnectionString));

    private static HttpRequestMessage WithSession(HttpRequestMessage request, McpTestClient client, string? accept = null)
    {
        request.Headers.Add("Mcp-Session-Id", client.SessionId);
        request.Headers.Add("MCP-Protocol-Version", client.ProtocolVersion);
        if (accept is not null)
        {
            request.Headers.Add("Accept", accept);
        }

        return request;
    }

    private static string? Text(JsonElement response) =>
        response.GetProperty("result").GetProperty("content")[0].GetProperty("text").GetString();

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

    /// <summary>Redis round trips one replica made for sessions, from its own meter.</summary>
    private sealed class RoundTripCounter : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _count;

        public RoundTripCounter(WebApplicationFactory<Program> replica)
        {
            var meter = replica.Services.GetRequiredService<IMeterFactory>().Create(SessionDirectory.MeterName);
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter, meter) && instrument.Name == SessionDirectory.RoundTripsName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _count, value));
            _listener.Start();
        }

        public long Count => Interlocked.Read(ref _count);

        public void Dispose() => _listener.Dispose();
    }
}
