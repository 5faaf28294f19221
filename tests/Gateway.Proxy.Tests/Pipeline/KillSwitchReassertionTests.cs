using Gateway.Contracts.Configuration;
using Gateway.Contracts.Messages;
using Gateway.Proxy.Audit;
using Gateway.Proxy.Pipeline.KillSwitches;
using Gateway.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Gateway.Proxy.Tests.Pipeline;

/// <summary>
/// Kill switches outliving the loss of Redis's data (a <c>FLUSHALL</c> on a real Garnet of this class's own), seen
/// from two replicas that share it, on virtual time.
/// </summary>
public sealed class KillSwitchReassertionTests(GarnetServer garnet) : IClassFixture<GarnetServer>, IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new();
    private ConnectionMultiplexer _redis = null!;

    public async Task InitializeAsync()
    {
        _redis = await ConnectionMultiplexer.ConnectAsync(garnet.ConnectionString + ",allowAdmin=true");
        await FlushAllAsync();
    }

    public Task DisposeAsync()
    {
        _redis.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_switch_lost_with_redis_data_is_written_back_by_the_replicas_that_held_it_and_audited_once()
    {
        using var a = new Replica(_redis, _time);
        using var b = new Replica(_redis, _time);
        await a.Commands.EngageAsync(KillSwitchScope.Backend, "alpha", "ops", "incident 42", CancellationToken.None);
        Assert.True(await b.State.RefreshAsync(CancellationToken.None));
        a.DrainAudit();

        await FlushAllAsync();
        Assert.True(await b.State.RefreshAsync(CancellationToken.None));
        Assert.True(await a.State.RefreshAsync(CancellationToken.None));

        Assert.NotNull(a.State.Current.Find("alpha", "any"));
        Assert.NotNull(b.State.Current.Find("alpha", "any"));
        var stored = Assert.Single((await a.Store.ReadAllAsync(CancellationToken.None)).Switches);
        Assert.Equal(("ops", "incident 42"), (stored.Actor, stored.Reason));
        var reasserted = Assert.Single([.. a.DrainAudit(), .. b.DrainAudit()]);
        Assert.Equal(AuditStatus.KillSwitchReasserted, reasserted.Status);
        Assert.Equal((KillSwitchReassertion.Actor, "alpha", AuditDecision.Admin), (reasserted.ClientId, reasserted.Backend, reasserted.Decision));
        Assert.StartsWith(KillSwitchReassertion.Reason, reasserted.Detail, StringComparison.Ordinal);
        Assert.Contains("incident 42", reasserted.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_periodic_refresh_alone_notices_the_loss_and_writes_the_switch_back()
    {
        using var a = new Replica(_redis, _time);
        await a.State.StartAsync(CancellationToken.None);
        try
        {
            await a.Commands.EngageAsync(KillSwitchScope.Tool, "rm", "ops", null, CancellationToken.None);

            await FlushAllAsync();

            await Eventually.TrueAsync(
                async () =>
                {
                    _time.Advance(new KillSwitchOptions().RefreshInterval);
                    return (await a.Store.ReadAllAsync(CancellationToken.None)).Switches.Any(s => s.Name == "rm");
                },
                what: "the switch written back by the periodic refresh");
            Assert.NotNull(a.State.Current.Find("alpha", "rm"));
        }
        finally
        {
            await a.State.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_switch_released_after_the_loss_is_not_written_back_by_a_replica_that_still_held_it()
    {
        using var a = new Replica(_redis, _time);
        using var b = new Replica(_redis, _time);
        await a.Commands.EngageAsync(KillSwitchScope.Global, "", "ops", null, CancellationToken.None);
        await b.State.RefreshAsync(CancellationToken.None);

        await FlushAllAsync();
        await a.State.RefreshAsync(CancellationToken.None);
        Assert.True(await a.Commands.ReleaseAsync(KillSwitchScope.Global, "", "ops", CancellationToken.None));
        Assert.True(await b.State.RefreshAsync(CancellationToken.None));

        Assert.Null(b.State.Current.Global);
        Assert.Empty((await b.Store.ReadAllAsync(CancellationToken.None)).Switches);
        Assert.DoesNotContain(b.DrainAudit(), e => e.Status == AuditStatus.KillSwitchReasserted);
    }

    [Fact]
    public async Task An_admin_release_on_a_replica_that_has_not_yet_noticed_the_loss_holds_on_every_replica()
    {
        using var a = new Replica(_redis, _time);
        using var b = new Replica(_redis, _time);
        await a.Commands.EngageAsync(KillSwitchScope.Model, "org/big", "ops", null, CancellationToken.None);
        await b.State.RefreshAsync(CancellationToken.None);
        a.DrainAudit();

        await FlushAllAsync();
        Assert.True(await b.Commands.ReleaseAsync(KillSwitchScope.Model, "org/big", "ops", CancellationToken.None));
        Assert.True(await a.State.RefreshAsync(CancellationToken.None));

        Assert.Null(a.State.Current.FindModel("org/big"));
        Assert.Null(b.State.Current.FindModel("org/big"));
        Assert.Equal([AuditStatus.KillSwitchReleased], a.DrainAudit().Concat(b.DrainAudit()).Select(e => e.Status));
    }

    [Fact]
    public async Task While_the_data_set_lasts_a_release_on_one_replica_is_followed_by_the_other()
    {
        using var a = new Replica(_redis, _time);
        using var b = new Replica(_redis, _time);
        await a.Commands.EngageAsync(KillSwitchScope.Provider, "openai", "ops", null, CancellationToken.None);
        await b.State.RefreshAsync(CancellationToken.None);

        await a.Commands.ReleaseAsync(KillSwitchScope.Provider, "openai", "ops", CancellationToken.None);
        await b.State.RefreshAsync(CancellationToken.None);

        Assert.Null(b.State.Current.FindProvider("openai"));
        Assert.Empty((await b.Store.ReadAllAsync(CancellationToken.None)).Switches);
    }

    [Fact]
    public async Task A_replica_keeps_its_switches_while_the_store_is_unreachable_and_writes_them_back_once_it_answers_empty()
    {
        var flaky = new FlakyStore(new RedisKillSwitchStore(_redis));
        using var a = new Replica(_redis, _time, flaky);
        await a.Commands.EngageAsync(KillSwitchScope.Backend, "beta", "ops", null, CancellationToken.None);

        flaky.Broken = true;
        await FlushAllAsync();
        Assert.False(await a.State.RefreshAsync(CancellationToken.None));
        Assert.NotNull(a.State.Current.Find("beta", null));

        flaky.Broken = false;
        Assert.True(await a.State.RefreshAsync(CancellationToken.None));
        Assert.NotNull(a.State.Current.Find("beta", null));
        Assert.Single((await a.Store.ReadAllAsync(CancellationToken.None)).Switches);
    }

    private Task FlushAllAsync() => _redis.GetServers()[0].FlushAllDatabasesAsync();

    /// <summary>The kill-switch part of one proxy replica, with an audit buffer of its own.</summary>
    private sealed class Replica : IDisposable
    {
        private readonly string _spillDirectory = Path.Combine(Path.GetTempPath(), "gateway-tests", Guid.NewGuid().ToString("N"));
        private readonly AuditSpillFile _spill;
        private readonly AuditBuffer _buffer;

        public Replica(IConnectionMultiplexer redis, FakeTimeProvider time, IKillSwitchStore? store = null)
        {
            Store = store ?? new RedisKillSwitchStore(redis);
            _spill = new AuditSpillFile(_spillDirectory, "replica", time);
            _buffer = new AuditBuffer(1024, _spill);
            var audit = new AuditRecorder(
                _buffer, new TestOptionsMonitor<GatewayOptions>(new GatewayOptions()), new AuditSource("proxy/replica", "replica"), time, NullLogger<AuditRecorder>.Instance);
            State = new KillSwitchState(
                Store, new KillSwitchReassertion(Store, audit, NullLogger<KillSwitchReassertion>.Instance), Options.Create(new KillSwitchOptions()), time, NullLogger<KillSwitchState>.Instance);
            Commands = new KillSwitchCommands(Store, State, audit, time, NullLogger<KillSwitchCommands>.Instance);
        }

        public IKillSwitchStore Store { get; }

        public KillSwitchState State { get; }

        public KillSwitchCommands Commands { get; }

        public List<AuditEvent> DrainAudit()
        {
            var events = new List<AuditEvent>();
            while (_buffer.Reader.TryRead(out var queued))
            {
                events.Add(queued.Event);
            }

            return events;
        }

        public void Dispose()
        {
            State.Dispose();
            _spill.Dispose();
            Directory.Delete(_spillDirectory, recursive: true);
        }
    }

    private sealed class FlakyStore(IKillSwitchStore inner) : IKillSwitchStore
    {
        public bool Broken { get; set; }

        public Task<KillSwitchStoreContents> ReadAllAsync(CancellationToken cancellationToken) =>
            Broken ? throw new KillSwitchStoreUnavailableException("store down") : inner.ReadAllAsync(cancellationToken);

        public Task SetAsync(KillSwitch killSwitch, CancellationToken cancellationToken) => inner.SetAsync(killSwitch, cancellationToken);

        public Task<bool> RemoveAsync(KillSwitchScope scope, string name, CancellationToken cancellationToken) =>
            inner.RemoveAsync(scope, name, cancellationToken);

        public Task<IReadOnlyList<KillSwitch>?> ReassertAsync(string epoch, IReadOnlyList<KillSwitch> known, CancellationToken cancellationToken) =>
            inner.ReassertAsync(epoch, known, cancellationToken);
    }
}
