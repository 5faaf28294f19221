using Aspire.Hosting.ApplicationModel;
using Gateway.AuditService.Tests.Infrastructure;
using Gateway.Contracts.Messages;
using Gateway.Testing.Aspire;
using Xunit.Abstractions;

namespace Gateway.AuditService.Tests.EndToEnd;

/// <summary>
/// RabbitMQ goes away under the audit consumer, several times in a row, with events published before, during and after
/// each outage. MassTransit 8.4.0 could keep reusing the dead connection after such a restart and never consume again;
/// these pin that the consumer of this build recovers by itself (the service process is the same one throughout) and
/// stores every event exactly once.
/// </summary>
[Trait("Category", "EndToEnd")]
[Collection(EndToEndTests.Name)]
public sealed class BrokerFaultTests(SharedAuditSystem shared, ITestOutputHelper output) : IAsyncLifetime
{
    private const int Faults = 3;
    private const int EventsPerPhase = 2_000;

    private readonly AuditSystem _system = shared.System;
    private readonly string _client = "e2e-" + Guid.NewGuid().ToString("N")[..8];

    public Task InitializeAsync() => _system.WaitForHealthyAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public Task The_broker_stopped_and_started_mid_stream_three_times_loses_nothing_and_the_consumer_recovers_by_itself() =>
        RideOutBrokerFaultsAsync(async (eventsWhileAway, deadline) =>
        {
            var stopped = await _system.App.ExecuteCommandAsync("messaging", KnownResourceCommands.StopCommand, deadline);
            Assert.True(stopped.Success, stopped.Message);
            var exit = await _system.App.WaitForExitAsync("messaging", deadline);
            var publishing = _system.PublishStreamAsync(eventsWhileAway);
            var started = await _system.App.ExecuteCommandAsync("messaging", KnownResourceCommands.StartCommand, deadline);
            Assert.True(started.Success, started.Message);
            await _system.App.WaitForHealthyAsync("messaging", deadline);
            await publishing;
            return $"stopped (exit code {exit})";
        });

    [Fact]
    public Task Rabbitmqs_beam_process_killed_mid_stream_three_times_loses_nothing_and_the_consumer_recovers_by_itself() =>
        RideOutBrokerFaultsAsync(async (eventsWhileAway, deadline) =>
        {
            var node = await _system.App.ProcessIdAsync("messaging") ?? throw new InvalidOperationException("messaging is not running");
            var beam = ProcessTree.SelfAndDescendants(node).Single(p => p.CommandLine.Contains("beam.smp", StringComparison.Ordinal));
            GatewayTestApp.Kill(beam.Id);
            var publishing = _system.PublishStreamAsync(eventsWhileAway);
            // Nobody starts it but the AppHost's crash restarter.
            await _system.App.WaitForNewProcessAsync("messaging", node, deadline);
            await _system.App.WaitForHealthyAsync("messaging", deadline);
            await publishing;
            return $"beam.smp {beam.Id} killed";
        });

    /// <summary>
    /// Runs <see cref="Faults"/> rounds of: publish a stream, cause <paramref name="fault"/> while it is consumed (the
    /// fault publishes the events it is given while the broker is away), publish more once it is back, and wait for
    /// every event so far to be stored exactly once before the next round.
    /// </summary>
    private async Task RideOutBrokerFaultsAsync(Func<List<AuditEvent>, CancellationToken, Task<string>> fault)
    {
        var service = await _system.App.ProcessIdAsync("audit") ?? throw new InvalidOperationException("audit is not running");
        var published = new List<AuditEvent>();
        for (var round = 0; round < Faults; round++)
        {
            var before = NextEvents(published.Count);
            var eventsWhileAway = NextEvents(published.Count + EventsPerPhase);
            var after = NextEvents(published.Count + (2 * EventsPerPhase));
            var storedBefore = published.Count;

            var publishing = _system.PublishStreamAsync(before);
            await _system.WaitForStoredAsync(_client, s => s.Count >= storedBefore + (EventsPerPhase / 5));
            string what;
            using (var deadline = new CancellationTokenSource(AuditSystem.Settle))
            {
                what = await fault(eventsWhileAway, deadline.Token);
            }

            await publishing;
            await _system.PublishStreamAsync(after);
            published.AddRange([.. before, .. eventsWhileAway, .. after]);

            var stored = await _system.WaitForAllStoredAsync(_client, published);
            output.WriteLine($"round {round + 1}: broker {what}; {stored.Count} of {published.Count} events stored; audit pid {await _system.App.ProcessIdAsync("audit")}");
            AuditAssert.StoredExactlyOnce(published, stored);
        }

        Assert.Equal(service, await _system.App.ProcessIdAsync("audit"));
    }

    private List<AuditEvent> NextEvents(int offset) =>
        SampleEvents.Stream(EventsPerPhase, SampleEvents.Epoch.AddMilliseconds(offset), _client);
}
