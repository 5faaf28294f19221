using Gateway.Contracts.Messages;
using Gateway.Proxy.Pipeline.KillSwitches;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Gateway.Proxy.Tests.Pipeline;

public sealed class KillSwitchSnapshotTests
{
    private static readonly DateTimeOffset At = DateTimeOffset.UnixEpoch;

    [Fact]
    public void BackendSwitchStopsEveryToolOfThatBackendOnly()
    {
        var snapshot = new KillSwitchSnapshot([new KillSwitch(KillSwitchScope.Backend, "alpha", "ops", null, At)]);

        Assert.NotNull(snapshot.Find("alpha", "any"));
        Assert.Null(snapshot.Find("beta", "any"));
    }

    [Fact]
    public void ToolSwitchStopsThatToolOnAnyBackend()
    {
        var snapshot = new KillSwitchSnapshot([new KillSwitch(KillSwitchScope.Tool, "rm", "ops", null, At)]);

        Assert.NotNull(snapshot.Find("alpha", "rm"));
        Assert.NotNull(snapshot.Find("beta", "rm"));
        Assert.Null(snapshot.Find("alpha", "ls"));
        Assert.Null(snapshot.Find("alpha", null));
    }

    [Fact]
    public void GlobalSwitchWinsOverNarrowerOnes()
    {
        var snapshot = new KillSwitchSnapshot(
        [
            new KillSwitch(KillSwitchScope.Tool, "rm", "ops", "tool", At),
            new KillSwitch(KillSwitchScope.Global, "", "ops", "global", At),
        ]);

        Assert.Equal("global", snapshot.Find("alpha", "rm")?.Reason);
        Assert.Equal("global", snapshot.Find(null, null)?.Reason);
    }

    [Fact]
    public async Task StateKeepsItsLastSnapshotWhenTheStoreCannotBeRead()
    {
        var store = new FlakyStore();
        using var state = new KillSwitchState(store, Options.Create(new KillSwitchOptions()), new FakeTimeProvider(), NullLogger<KillSwitchState>.Instance);
        await store.SetAsync(new KillSwitch(KillSwitchScope.Global, "", "ops", null, At), CancellationToken.None);
        Assert.True(await state.RefreshAsync(CancellationToken.None));

        store.Broken = true;

        Assert.False(await state.RefreshAsync(CancellationToken.None));
        Assert.NotNull(state.Current.Global);
    }

    private sealed class FlakyStore : IKillSwitchStore
    {
        private readonly InMemoryKillSwitchStore _inner = new();

        public bool Broken { get; set; }

        public Task<IReadOnlyList<KillSwitch>> ReadAllAsync(CancellationToken cancellationToken) =>
            Broken ? throw new TimeoutException("store down") : _inner.ReadAllAsync(cancellationToken);

        public Task SetAsync(KillSwitch killSwitch, CancellationToken cancellationToken) => _inner.SetAsync(killSwitch, cancellationToken);

        public Task<bool> RemoveAsync(KillSwitchScope scope, string name, CancellationToken cancellationToken) =>
            _inner.RemoveAsync(scope, name, cancellationToken);
    }
}
