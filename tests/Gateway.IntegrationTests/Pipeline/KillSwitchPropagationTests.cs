using Gateway.Contracts.Configuration;
using Gateway.Contracts.Messages;
using Gateway.Proxy.Audit;
using Gateway.Proxy.Pipeline.KillSwitches;
using MassTransit;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gateway.IntegrationTests.Pipeline;

/// <summary>Kill switches in real Garnet, fanned out to every replica over real RabbitMQ.</summary>
[Collection(PipelineInfrastructure.Name)]
public sealed class KillSwitchPropagationTests(PipelineInfrastructureFixture infrastructure) : IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        using var redis = infrastructure.ConnectRedis();
        await redis.GetDatabase().KeyDeleteAsync(RedisKillSwitchStore.Key);
    }

    public Task DisposeAsync() => InitializeAsync();

    [Fact]
    public async Task Switches_are_stored_in_one_hash_and_read_back_by_a_restarted_replica()
    {
        using (var before = infrastructure.ConnectRedis())
        {
            var store = new RedisKillSwitchStore(before);
            await store.SetAsync(new KillSwitch(KillSwitchScope.Global, "", "ops", "all stop", DateTimeOffset.UnixEpoch), CancellationToken.None);
            await store.SetAsync(new KillSwitch(KillSwitchScope.Backend, "alpha", "ops", null, DateTimeOffset.UnixEpoch), CancellationToken.None);
            await store.SetAsync(new KillSwitch(KillSwitchScope.Tool, "rm", "ops", "dangerous", DateTimeOffset.UnixEpoch), CancellationToken.None);
            Assert.True(await store.RemoveAsync(KillSwitchScope.Global, "", CancellationToken.None));
            Assert.False(await store.RemoveAsync(KillSwitchScope.Global, "", CancellationToken.None));
        }

        using var after = infrastructure.ConnectRedis();
        var fields = (await after.GetDatabase().HashKeysAsync(RedisKillSwitchStore.Key)).Select(f => (string)f!).Order();
        var snapshot = new KillSwitchSnapshot((await new RedisKillSwitchStore(after).ReadAllAsync(CancellationToken.None)).Switches);

        Assert.Equal(["backend:alpha", "released:global", "tool:rm"], fields);
        Assert.Null(snapshot.Global);
        Assert.Equal("ops", snapshot.Find("alpha", null)?.Actor);
        Assert.Equal("dangerous", snapshot.Find("beta", "rm")?.Reason);
    }

    [Fact]
    public async Task A_change_made_on_one_replica_is_applied_by_another_through_the_bus()
    {
        await using var replicaA = await Replica.StartAsync(infrastructure);
        await using var replicaB = await Replica.StartAsync(infrastructure);

        // Replica B never polls here (its refresh loop is not running): only the bus can tell it, so seeing the
        // change at all proves the fan-out, however long the shared machine takes to deliver it.
        await replicaA.Commands.EngageAsync(KillSwitchScope.Tool, "deploy", "ops", "freeze", CancellationToken.None);
        await WaitUntil(() => replicaB.State.Current.Find("alpha", "deploy") is not null);
        await replicaA.Commands.ReleaseAsync(KillSwitchScope.Tool, "deploy", "ops", CancellationToken.None);
        await WaitUntil(() => replicaB.State.Current.Find("alpha", "deploy") is null);
    }

    [Fact]
    public async Task Changes_are_still_fanned_out_after_the_broker_restarts()
    {
        await using var replicaA = await Replica.StartAsync(infrastructure);
        await using var replicaB = await Replica.StartAsync(infrastructure);

        // The replicas' temporary queues do not survive the restart: each bus must reconnect and declare its queue
        // again, or replica B would hear of no change until its next poll of the store (not running here).
        await infrastructure.App.StopResourceAsync("messaging");
        // Both must have noticed the loss, or a health check read before they did would pass for a reconnection.
        await WaitUntil(() => !replicaA.BusIsHealthy && !replicaB.BusIsHealthy);
        await infrastructure.App.StartResourceAsync("messaging");
        await WaitUntil(() => replicaA.BusIsHealthy && replicaB.BusIsHealthy, TimeSpan.FromSeconds(120));

        await replicaA.Commands.EngageAsync(KillSwitchScope.Backend, "alpha", "ops", "after the restart", CancellationToken.None);
        await WaitUntil(() => replicaB.State.Current.Find("alpha", null) is not null);
    }

    private static async Task WaitUntil(Func<bool> condition, TimeSpan? limit = null)
    {
        using var deadline = new CancellationTokenSource(limit ?? TimeSpan.FromSeconds(60));
        while (!condition())
        {
            await Task.Delay(10, deadline.Token);
        }
    }

    /// <summary>
    /// The kill-switch part of one proxy replica: its own Redis connection, snapshot, and bus with an auto-deleted queue
    /// of its own consumed by <see cref="KillSwitchChangedConsumer"/> (the proxy names its queue after its instance id;
    /// the name does not matter here, only that each replica has one).
    /// </summary>
    private sealed class Replica : IAsyncDisposable
    {
        private readonly StackExchange.Redis.ConnectionMultiplexer _redis;
        private readonly IBusControl _bus;
        private readonly AuditSpillFile _spill;
        private readonly string _spillDirectory;

        private Replica(StackExchange.Redis.ConnectionMultiplexer redis, KillSwitchState state, AuditRecorder audit, AuditSpillFile spill, IBusControl bus, string spillDirectory)
        {
            _redis = redis;
            _bus = bus;
            _spill = spill;
            _spillDirectory = spillDirectory;
            State = state;
            Commands = new KillSwitchCommands(new RedisKillSwitchStore(redis), State, audit, TimeProvider.System, NullLogger<KillSwitchCommands>.Instance, bus);
        }

        public KillSwitchState State { get; }

        public KillSwitchCommands Commands { get; }

        /// <summary>Connected, with every receive endpoint (the notification queue among them) consuming.</summary>
        public bool BusIsHealthy => _bus.CheckHealth().Status == BusHealthStatus.Healthy;

        /// <summary>Started once the bus is: its start completes when every receive endpoint consumes.</summary>
        public static async Task<Replica> StartAsync(PipelineInfrastructureFixture infrastructure)
        {
            var redis = infrastructure.ConnectRedis();
            var spillDirectory = Path.Combine(Path.GetTempPath(), "gateway-tests", Guid.NewGuid().ToString("N"));
            var spill = new AuditSpillFile(spillDirectory, "replica", TimeProvider.System);
            var audit = new AuditRecorder(
                new AuditBuffer(1024, spill),
                new StaticOptionsMonitor<GatewayOptions>(new GatewayOptions()),
                new AuditSource("proxy/replica", "replica"),
                TimeProvider.System,
                NullLogger<AuditRecorder>.Instance);
            var store = new RedisKillSwitchStore(redis);
            var state = new KillSwitchState(
                store,
                new KillSwitchReassertion(store, audit, NullLogger<KillSwitchReassertion>.Instance),
                Options.Create(new KillSwitchOptions()),
                TimeProvider.System,
                NullLogger<KillSwitchState>.Instance);
            var bus = await infrastructure.StartBusAsync(rabbit => rabbit.ReceiveEndpoint(
                new TemporaryEndpointDefinition("kill-switches"),
                endpoint => endpoint.Consumer(() => new KillSwitchChangedConsumer(state))));
            var replica = new Replica(redis, state, audit, spill, bus, spillDirectory);
            await replica.State.RefreshAsync(CancellationToken.None);
            return replica;
        }

        public async ValueTask DisposeAsync()
        {
            await _bus.StopAsync();
            State.Dispose();
            _spill.Dispose();
            _redis.Dispose();
            Directory.Delete(_spillDirectory, recursive: true);
        }
    }
}
