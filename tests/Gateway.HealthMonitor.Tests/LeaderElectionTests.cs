using Gateway.Contracts.Circuit;
using Gateway.Contracts.Configuration;
using Gateway.HealthMonitor.Breakers;
using Gateway.HealthMonitor.Leadership;
using Gateway.HealthMonitor.Monitoring;
using Gateway.HealthMonitor.Tests.Fixtures;
using Gateway.HealthMonitor.Transitions;
using Gateway.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Gateway.HealthMonitor.Tests;

/// <summary>Election rounds on virtual time against a real Garnet.</summary>
public sealed class LeaderElectionTests(GarnetServer garnet) : IClassFixture<GarnetServer>, IDisposable
{
    private readonly string _prefix = "test:" + Guid.NewGuid().ToString("N");
    private readonly ConnectionMultiplexer _redis = ConnectionMultiplexer.Connect(garnet.ConnectionString);
    private readonly FakeTimeProvider _time = new();

    public void Dispose() => _redis.Dispose();

    [Fact]
    public async Task A_round_that_takes_the_lease_but_cannot_read_the_snapshot_leads_on_the_next_round_without_waiting_out_its_own_lease()
    {
        var (election, leadership, breakers) = Create("a");
        using var _ = breakers;
        // A snapshot that cannot be read: the key holds a string, so HGETALL fails.
        await _redis.GetDatabase().StringSetAsync(CircuitSnapshotFormat.SnapshotKey(_prefix), "not a hash");

        await election.RunOnceAsync();

        Assert.False(leadership.IsLeader);
        Assert.Equal("a", (string?)await _redis.GetDatabase().StringGetAsync(CircuitSnapshotFormat.LeaseKey(_prefix)));

        await _redis.GetDatabase().KeyDeleteAsync(CircuitSnapshotFormat.SnapshotKey(_prefix));
        await election.RunOnceAsync();

        Assert.True(leadership.IsLeader);
    }

    [Fact]
    public async Task A_standby_does_not_lead_while_another_instance_holds_the_lease()
    {
        var (leader, leaderState, leaderBreakers) = Create("a");
        var (standby, standbyState, standbyBreakers) = Create("b");
        using var _ = leaderBreakers;
        using var __ = standbyBreakers;

        await leader.RunOnceAsync();
        await standby.RunOnceAsync();

        Assert.True(leaderState.IsLeader);
        Assert.False(standbyState.IsLeader);
    }

    private (LeaderElection Election, LeadershipState Leadership, AuthoritativeBreakers Breakers) Create(string instance)
    {
        var options = Microsoft.Extensions.Options.Options.Create(new HealthMonitorOptions
        {
            InstanceId = instance,
            KeyPrefix = _prefix,
            LeaseTtl = TimeSpan.FromMinutes(1),
        });
        var leadership = new LeadershipState(instance);
        var breakers = new AuthoritativeBreakers(
            new StaticOptionsMonitor<GatewayOptions>(new GatewayOptions()), options, leadership, new PendingTransitions(), _time);
        var election = new LeaderElection(
            new LeaderLease(_redis, options, new AdvertisedAddress(options)),
            new CircuitSnapshotStore(_redis, options, _time),
            breakers,
            leadership,
            options,
            _time,
            NullLogger<LeaderElection>.Instance);
        return (election, leadership, breakers);
    }
}
