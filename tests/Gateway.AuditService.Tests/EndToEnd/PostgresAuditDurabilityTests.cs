using Aspire.Hosting.ApplicationModel;
using Gateway.AuditService.Tests.Infrastructure;

namespace Gateway.AuditService.Tests.EndToEnd;

/// <summary>The durability promises with the PostgreSQL store: its own system, the AppHost's private PostgreSQL server.</summary>
[Trait("Category", "EndToEnd")]
[Collection(EndToEndTests.Name)]
public sealed class PostgresAuditDurabilityTests
{
    private const int StreamSize = 10_000;

    [Fact]
    public async Task A_broker_restart_mid_stream_loses_nothing_with_postgresql_and_the_consumer_recovers_by_itself()
    {
        await using var system = await AuditSystem.StartAsync(postgres: true);
        var client = "e2e-" + Guid.NewGuid().ToString("N")[..8];
        var events = SampleEvents.Stream(StreamSize, client: client);
        var service = await system.App.ProcessIdAsync("audit") ?? throw new InvalidOperationException("audit is not running");

        var publishing = system.PublishStreamAsync(events);
        await system.WaitForStoredAsync(client, s => s.Count >= StreamSize / 5);
        using (var deadline = new CancellationTokenSource(AuditSystem.Settle))
        {
            var restarted = await system.App.ExecuteCommandAsync("messaging", KnownResourceCommands.RestartCommand, deadline.Token);
            Assert.True(restarted.Success, restarted.Message);
        }

        await publishing;

        AuditAssert.StoredExactlyOnce(events, await system.WaitForAllStoredAsync(client, events));
        // The consumer reconnected by itself: the service process is the one that ran before the restart.
        Assert.Equal(service, await system.App.ProcessIdAsync("audit"));
    }
}
