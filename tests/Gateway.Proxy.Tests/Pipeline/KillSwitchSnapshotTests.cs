using Gateway.Contracts.Messages;
using Gateway.Proxy.Pipeline.KillSwitches;

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
}
