using System.Text.Json;
using Gateway.Proxy.Mcp;
using Gateway.Proxy.Mcp.Replication;
using Gateway.Proxy.Pipeline;
using Gateway.Testing;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Gateway.Proxy.Tests.Mcp.Replication;

/// <summary>Session stores of several replicas sharing one Garnet: what each finds, and what it costs in Redis round trips.</summary>
public sealed class SharedSessionStoreTests(GarnetServer garnet) : IClassFixture<GarnetServer>
{
    private static readonly ClientIdentity s_client = new("agent-1", ["user"], IsAnonymous: false, User: "ada");
    private static readonly JsonElement s_capabilities = JsonDocument.Parse("""{"elicitation":{},"sampling":{}}""").RootElement.Clone();

    [Fact]
    public async Task A_session_created_on_one_replica_is_served_by_another_with_one_Redis_round_trip_then_none()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var a = await SessionReplica.StartAsync(garnet.ConnectionString, new McpOptions(), time);
        await using var b = await SessionReplica.StartAsync(garnet.ConnectionString, new McpOptions(), time);
        var created = NewSession(time);
        Assert.True(await a.Store.TryAddAsync(created));

        var before = b.RoundTrips;
        var first = await b.Store.FindAsync(created.Id);
        var afterFirst = b.RoundTrips;
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(SessionLookupStatus.Found, (await b.Store.FindAsync(created.Id)).Status);
            Assert.Equal(SessionLookupStatus.Found, (await a.Store.FindAsync(created.Id)).Status);
        }

        Assert.Equal(SessionLookupStatus.Found, first.Status);
        var adopted = first.Session!;
        Assert.NotSame(created, adopted);
        Assert.True(adopted.Client.IsSameCaller(s_client));
        Assert.Equal("2025-06-18", adopted.ProtocolVersion);
        Assert.Equal(s_capabilities.GetRawText(), adopted.ClientCapabilities.GetRawText());
        Assert.Equal(1, afterFirst - before);
        Assert.Equal(afterFirst, b.RoundTrips);
    }

    [Fact]
    public async Task A_session_ended_on_one_replica_is_refused_on_every_replica_including_those_that_held_it()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var a = await SessionReplica.StartAsync(garnet.ConnectionString, new McpOptions(), time);
        await using var b = await SessionReplica.StartAsync(garnet.ConnectionString, new McpOptions(), time);
        await using var c = await SessionReplica.StartAsync(garnet.ConnectionString, new McpOptions(), time);
        var session = NewSession(time);
        Assert.True(await a.Store.TryAddAsync(session));
        Assert.Equal(SessionLookupStatus.Found, (await b.Store.FindAsync(session.Id)).Status);

        Assert.True(await b.Store.RemoveAsync(session.Id));

        await Eventually.ValueAsync(async () => (await a.Store.FindAsync(session.Id)).Status == SessionLookupStatus.NotFound ? "gone" : null,
            TimeSpan.FromSeconds(30), "the ending announced to the replica that created the session");
        Assert.Equal(SessionLookupStatus.NotFound, (await b.Store.FindAsync(session.Id)).Status);
        Assert.Equal(SessionLookupStatus.NotFound, (await c.Store.FindAsync(session.Id)).Status);
        Assert.Equal(SessionLookupStatus.NotFound, (await a.Store.FindAsync(session.Id)).Status);
    }

    [Fact]
    public async Task An_ending_announced_while_the_key_still_exists_is_not_undone_by_a_lookup()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var a = await SessionReplica.StartAsync(garnet.ConnectionString, new McpOptions(), time);
        await using var b = await SessionReplica.StartAsync(garnet.ConnectionString, new McpOptions(), time);
        var session = NewSession(time);
        Assert.True(await a.Store.TryAddAsync(session));
        using var redis = await ConnectionMultiplexer.ConnectAsync(garnet.ConnectionString);

        // The announcement alone, as a replica sees it when the DEL and PUBLISH race its own GETEX.
        await redis.GetSubscriber().PublishAsync(RedisChannel.Literal("gateway:mcp:sessions"), "d" + session.Id);
        foreach (var replica in new[] { a, b })
        {
            await Eventually.ValueAsync(async () => (await replica.Store.FindAsync(session.Id)).Status == SessionLookupStatus.NotFound ? "forgotten" : null,
                TimeSpan.FromSeconds(30), "the ending reaching every replica");
        }

        Assert.True(await redis.GetDatabase().KeyExistsAsync("gateway:mcp:session:" + session.Id));
        Assert.Equal(SessionLookupStatus.NotFound, (await b.Store.FindAsync(session.Id)).Status);
        Assert.Equal(SessionLookupStatus.NotFound, (await a.Store.FindAsync(session.Id)).Status);
    }

    [Fact]
    public async Task A_replica_whose_copy_went_idle_asks_Redis_and_keeps_serving_a_session_used_elsewhere()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = new McpOptions { SessionIdleTimeout = TimeSpan.FromMinutes(5) };
        await using var a = await SessionReplica.StartAsync(garnet.ConnectionString, options, time);
        await using var b = await SessionReplica.StartAsync(garnet.ConnectionString, options, time);
        var session = NewSession(time);
        Assert.True(await a.Store.TryAddAsync(session));
        Assert.Equal(SessionLookupStatus.Found, (await b.Store.FindAsync(session.Id)).Status);

        // Idle on A's clock; Redis (on its own clock) still has the session, as B would have kept renewing it.
        time.Advance(TimeSpan.FromMinutes(6));
        var before = a.RoundTrips;
        var found = await a.Store.FindAsync(session.Id);

        // Whether the sweeper forgot A's copy first or not, Redis decides, in one round trip.
        Assert.Equal(SessionLookupStatus.Found, found.Status);
        Assert.Equal(session.Id, found.Session!.Id);
        Assert.Equal(1, a.RoundTrips - before);
    }

    [Fact]
    public async Task A_session_expired_in_Redis_is_refused_by_the_replicas_that_held_it()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = new McpOptions { SessionIdleTimeout = TimeSpan.FromSeconds(1) };
        await using var a = await SessionReplica.StartAsync(garnet.ConnectionString, options, time);
        await using var b = await SessionReplica.StartAsync(garnet.ConnectionString, options, time);
        var session = NewSession(time);
        Assert.True(await a.Store.TryAddAsync(session));
        Assert.Equal(SessionLookupStatus.Found, (await b.Store.FindAsync(session.Id)).Status);

        using var redis = await ConnectionMultiplexer.ConnectAsync(garnet.ConnectionString);
        await Eventually.ValueAsync(async () => await redis.GetDatabase().KeyExistsAsync("gateway:mcp:session:" + session.Id) ? null : "expired",
            TimeSpan.FromSeconds(30), "the session's key expiring in Redis");
        time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal(SessionLookupStatus.NotFound, (await a.Store.FindAsync(session.Id)).Status);
        Assert.Equal(SessionLookupStatus.NotFound, (await b.Store.FindAsync(session.Id)).Status);
    }

    [Fact]
    public async Task Logging_level_and_subscriptions_set_on_one_replica_reach_the_copy_another_holds()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var a = await SessionReplica.StartAsync(garnet.ConnectionString, new McpOptions(), time);
        await using var b = await SessionReplica.StartAsync(garnet.ConnectionString, new McpOptions(), time);
        var session = NewSession(time);
        Assert.True(await a.Store.TryAddAsync(session));
        var copy = (await b.Store.FindAsync(session.Id)).Session!;

        session.LogLevel = "debug";
        session.AddSubscription("alpha", "fake://alpha/readme");

        await Eventually.ValueAsync(() => Task.FromResult(copy.Subscriptions.Count == 1 ? "applied" : null), TimeSpan.FromSeconds(30), "the update");
        Assert.Equal("debug", copy.LogLevel);
        Assert.Equal(new BackendSubscription("alpha", "fake://alpha/readme"), copy.Subscriptions.Single());
        await using var c = await SessionReplica.StartAsync(garnet.ConnectionString, new McpOptions(), time);
        var third = (await c.Store.FindAsync(session.Id)).Session!;
        Assert.Equal("debug", third.LogLevel);
        Assert.Equal(copy.Subscriptions, third.Subscriptions);
    }

    [Fact]
    public async Task A_session_of_another_replica_is_refused_with_full_when_this_replica_holds_its_cap()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var a = await SessionReplica.StartAsync(garnet.ConnectionString, new McpOptions(), time);
        await using var b = await SessionReplica.StartAsync(garnet.ConnectionString, new McpOptions { MaxSessions = 1 }, time);
        var mine = NewSession(time);
        var theirs = NewSession(time);
        Assert.True(await b.Store.TryAddAsync(mine));
        Assert.True(await a.Store.TryAddAsync(theirs));

        Assert.Equal(SessionLookupStatus.Full, (await b.Store.FindAsync(theirs.Id)).Status);
        Assert.Equal(SessionLookupStatus.Found, (await b.Store.FindAsync(mine.Id)).Status);
    }

    [Fact]
    public async Task Server_request_ids_name_the_replica_that_raised_them()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var a = await SessionReplica.StartAsync(garnet.ConnectionString, new McpOptions(), time);
        var session = NewSession(time);
        Assert.True(await a.Store.TryAddAsync(session));

        var id = session.RegisterServerRequest(null!, "7");

        Assert.Equal(a.Relay.ReplicaTag, SessionRelay.ReplicaOf(id));
        Assert.Null(SessionRelay.ReplicaOf("\"gw-12\""));
        Assert.Null(SessionRelay.ReplicaOf("42"));
    }

    private static McpSession NewSession(TimeProvider time) =>
        new(McpSessionStore.NewSessionId(), s_client, "2025-06-18", s_capabilities, 16, time);
}
