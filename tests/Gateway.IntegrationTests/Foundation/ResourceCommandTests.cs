using Aspire.Hosting.ApplicationModel;
using Gateway.IntegrationTests.Chaos;
using Gateway.Testing;
using Gateway.Testing.Aspire;

namespace Gateway.IntegrationTests.Foundation;

/// <summary>
/// The dashboard's Stop and Start commands on a resource of the model. Runs on the chaos suite's application (the
/// faults themselves, with their counts, are <see cref="ChaosTests"/>): one started whole system less.
/// </summary>
[Collection(ChaosSuite.Name)]
public sealed class ResourceCommandTests(ChaosFixture fixture)
{
    private GatewayTestApp App => fixture.App;

    [Fact]
    public async Task A_resource_stopped_by_its_command_stays_down_until_started_again()
    {
        var pid = await App.ProcessIdAsync("everything");

        await App.ExecuteCommandAsync("everything", KnownResourceCommands.StopCommand).ShouldSucceed();
        await App.Notifications.WaitForResourceAsync("everything", e => e.Snapshot.State?.Text is "Exited" or "Finished").WaitAsync(Eventually.DefaultBound);

        Assert.DoesNotContain(ProcessTree.All(), p => p.Id == pid);
        await App.ExecuteCommandAsync("everything", KnownResourceCommands.StartCommand).ShouldSucceed();
        await Eventually.TrueAsync(async () => await App.ProcessIdAsync("everything") is { } started && started != pid, what: "everything started again");
        await App.WaitForRunningAndHealthyAsync("everything");
    }
}
