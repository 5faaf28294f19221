using Gateway.Proxy.Pipeline.Shutdown;

namespace Gateway.Proxy.Tests.Pipeline;

public sealed class InFlightCallsTests
{
    [Fact]
    public void DrainedCompletesWhenTheLastAdmittedCallLeavesAfterStop()
    {
        var calls = new InFlightCalls();
        Assert.True(calls.TryEnter());
        Assert.True(calls.TryEnter());

        calls.StopAccepting();
        calls.Exit();
        Assert.False(calls.Drained.IsCompleted);
        calls.Exit();

        Assert.True(calls.Drained.IsCompletedSuccessfully);
        Assert.Equal(0, calls.Count);
    }

    [Fact]
    public void NoCallIsAdmittedAfterStopAndAnIdlePipelineDrainsAtOnce()
    {
        var calls = new InFlightCalls();

        calls.StopAccepting();

        Assert.False(calls.TryEnter());
        Assert.True(calls.IsStopping);
        Assert.True(calls.Drained.IsCompletedSuccessfully);
    }

    [Fact]
    public void DrainedStaysPendingUntilStopEvenWhenNoCallIsInside()
    {
        var calls = new InFlightCalls();
        Assert.True(calls.TryEnter());
        calls.Exit();

        Assert.False(calls.Drained.IsCompleted);
    }
}
