using Gateway.Contracts.Circuit;
using Gateway.Contracts.Messages;
using Gateway.HealthMonitor.Leadership;
using Gateway.HealthMonitor.Monitoring;
using Gateway.HealthMonitor.Tests.Fixtures;
using Gateway.HealthMonitor.Transitions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using Gateway.Testing;

namespace Gateway.HealthMonitor.Tests;

/// <summary>The Redis scripts behind leadership and fencing, against a real Garnet.</summary>
public sealed class LeaderLeaseAndSnapshotTests(GarnetServer garnet) : IClassFixture<GarnetServer>, IDisposable
{
    private readonly string _prefix = "test:" + Guid.NewGuid().ToString("N");
    private readonly ConnectionMultiplexer _redis = ConnectionMultiplexer.Connect(garnet.ConnectionString);

    // At the Unix epoch a counter restarted from the clock starts at 0, so the sequences below count from 1.
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.UnixEpoch);

    public void Dispose() => _redis.Dispose();

    [Fact]
    public async Task Only_one_instance_holds_the_lease_and_only_the_holder_renews_or_releases_it()
    {
        var (a, b) = (Lease("a"), Lease("b"));

        Assert.True(await a.TryAcquireAsync());
        Assert.False(await b.TryAcquireAsync());
        Assert.True(await a.RenewAsync());
        Assert.False(await b.RenewAsync());

        await b.ReleaseAsync();
        Assert.Equal("a", await b.HolderAsync());

        await a.ReleaseAsync();
        Assert.True(await b.TryAcquireAsync());
        Assert.False(await a.RenewAsync());
    }

    [Fact]
    public async Task The_holder_can_take_its_own_lease_again_and_advertises_its_address_until_it_releases_it()
    {
        var (a, b) = (Lease("a", "http://127.0.0.1:7001"), Lease("b", "http://127.0.0.1:7002"));

        Assert.True(await a.TryAcquireAsync());
        Assert.True(await a.TryAcquireAsync());
        Assert.False(await b.TryAcquireAsync());
        Assert.Equal(new Uri("http://127.0.0.1:7001"), await b.LeaderAddressAsync());

        await a.ReleaseAsync();
        Assert.Null(await b.LeaderAddressAsync());
        Assert.True(await b.TryAcquireAsync());
        Assert.Equal(new Uri("http://127.0.0.1:7002"), await a.LeaderAddressAsync());
    }

    [Fact]
    public async Task Holder_commits_with_increasing_sequences_and_the_snapshot_keeps_the_latest_per_backend()
    {
        Assert.True(await Lease("a").TryAcquireAsync());
        var store = Store("a");

        var first = await store.CommitAsync(CircuitSnapshotFormat.CircuitField("alpha"), Change("alpha", CircuitState.Open));
        var second = await store.CommitAsync(CircuitSnapshotFormat.CircuitField("beta"), Change("beta", CircuitState.Isolated));
        var third = await store.CommitAsync(CircuitSnapshotFormat.CircuitField("alpha"), Change("alpha", CircuitState.Closed));
        var health = await store.CommitAsync(CircuitSnapshotFormat.HealthField("alpha"), new BackendHealthChanged(0, "alpha", true, "ok", DateTimeOffset.UnixEpoch));

        Assert.Equal([1L, 2L, 3L, 4L], new[] { first, second, third, health });
        var snapshot = await store.ReadAsync();
        Assert.Equal(4, snapshot.Sequence);
        Assert.Equal(
            [("alpha", CircuitState.Closed, 3L), ("beta", CircuitState.Isolated, 2L)],
            snapshot.Circuits.Select(c => (c.Backend, c.State, c.Sequence)).OrderBy(c => c.Backend));
        Assert.Equal(4, Assert.Single(snapshot.Health).Sequence);
    }

    [Fact]
    public async Task A_deposed_leader_is_fenced_out_and_consumes_no_sequence()
    {
        Assert.True(await Lease("a").TryAcquireAsync());
        Assert.Equal(1, await Store("a").CommitAsync(CircuitSnapshotFormat.CircuitField("alpha"), Change("alpha", CircuitState.Open)));

        var stale = await Store("b").CommitAsync(CircuitSnapshotFormat.CircuitField("alpha"), Change("alpha", CircuitState.Closed));

        Assert.Null(stale);
        var snapshot = await Store("a").ReadAsync();
        Assert.Equal(1, snapshot.Sequence);
        Assert.Equal(CircuitState.Open, Assert.Single(snapshot.Circuits).State);
    }

    [Fact]
    public async Task After_redis_loses_its_data_the_sequence_continues_from_the_leaders_floor()
    {
        Assert.True(await Lease("a").TryAcquireAsync());
        await _redis.GetDatabase().KeyDeleteAsync(CircuitSnapshotFormat.SequenceKey(_prefix));

        var sequence = await Store("a").CommitAsync(CircuitSnapshotFormat.CircuitField("alpha"), Change("alpha", CircuitState.Open), floor: 41);

        Assert.Equal(42, sequence);
    }

    [Fact]
    public async Task A_leader_that_lost_its_memory_along_with_redis_restarts_the_sequence_above_every_earlier_one()
    {
        _clock.SetUtcNow(DateTimeOffset.UnixEpoch.AddDays(1));
        Assert.True(await Lease("a").TryAcquireAsync());
        long before = 0;
        for (var i = 0; i < 3; i++)
        {
            before = (await Store("a").CommitAsync(CircuitSnapshotFormat.CircuitField("alpha"), Change("alpha", CircuitState.Open)))!.Value;
        }

        // Redis loses its data and the leader its memory (both restarted): nobody knows the last sequence any more.
        _clock.Advance(TimeSpan.FromMilliseconds(5));
        await _redis.GetDatabase().KeyDeleteAsync([CircuitSnapshotFormat.SequenceKey(_prefix), CircuitSnapshotFormat.SnapshotKey(_prefix)]);
        var after = await Store("a").CommitAsync(CircuitSnapshotFormat.CircuitField("alpha"), Change("alpha", CircuitState.Open), floor: 0);
        var next = await Store("a").CommitAsync(CircuitSnapshotFormat.CircuitField("alpha"), Change("alpha", CircuitState.Closed), floor: 0);

        Assert.True(after > before, $"{after} after the loss, {before} before it");
        Assert.Equal(after + 1, next);
    }

    [Fact]
    public async Task A_counter_that_is_still_there_continues_one_by_one_whatever_the_clock_says()
    {
        Assert.True(await Lease("a").TryAcquireAsync());
        var first = await Store("a").CommitAsync(CircuitSnapshotFormat.CircuitField("alpha"), Change("alpha", CircuitState.Open));

        _clock.Advance(TimeSpan.FromDays(1));
        var second = await Store("a").CommitAsync(CircuitSnapshotFormat.CircuitField("alpha"), Change("alpha", CircuitState.Closed));

        Assert.Equal(first + 1, second);
    }

    private IOptions<HealthMonitorOptions> Options(string instance, string? advertisedUrl = null) =>
        Microsoft.Extensions.Options.Options.Create(new HealthMonitorOptions
        {
            InstanceId = instance,
            KeyPrefix = _prefix,
            LeaseTtl = TimeSpan.FromMinutes(1),
            AdvertisedUrl = advertisedUrl is null ? null : new Uri(advertisedUrl),
        });

    private LeaderLease Lease(string instance, string? advertisedUrl = null)
    {
        var options = Options(instance, advertisedUrl);
        return new(_redis, options, new AdvertisedAddress(options));
    }

    private CircuitSnapshotStore Store(string instance) => new(_redis, Options(instance), _clock);

    private static CircuitStateChanged Change(string backend, CircuitState state) =>
        new(0, backend, state, CircuitState.Closed, 1, "test", "monitor", DateTimeOffset.UnixEpoch, null);
}
