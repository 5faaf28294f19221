using Gateway.AppHost.Orchestration;

namespace Gateway.IntegrationTests.Hosting;

public sealed class RestartBackoffTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(5, 16)]
    [InlineData(6, 30)]
    [InlineData(1000, 30)]
    public void Delay_doubles_per_consecutive_crash_up_to_thirty_seconds(int crashes, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), RestartBackoff.For(crashes));
}
