using Aspire.Hosting.ApplicationModel;
using Gateway.AuditService.Ingestion;
using Gateway.AuditService.Tests.Infrastructure;
using Gateway.Contracts.Messages;
using Gateway.Testing.Aspire;
using MassTransit;

namespace Gateway.AuditService.Tests.EndToEnd;

/// <summary>
/// The durability promises with real processes: RabbitMQ, the audit database and the audit service run as the AppHost
/// runs them, and the service is killed or stopped mid-stream.
/// </summary>
[Trait("Category", "EndToEnd")]
[Collection(EndToEndTests.Name)]
public sealed class AuditDurabilityTests(SharedAuditSystem shared) : IAsyncLifetime
{
    private const int StreamSize = 10_000;

    private readonly AuditSystem _system = shared.System;
    private readonly string _client = "e2e-" + Guid.NewGuid().ToString("N")[..8];

    public Task InitializeAsync() => _system.WaitForHealthyAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task An_event_published_twice_on_the_broker_is_stored_once()
    {
        var e = SampleEvents.Call(client: _client);

        await _system.Bus.Publish(e);
        await _system.Bus.Publish(new AuditEventBatch([e, SampleEvents.Call(client: _client)]));

        var stored = await _system.WaitForStoredAsync(_client, s => s.Count >= 2);
        Assert.Equal(2, stored.Count);
        Assert.Equal(e, stored.Single(s => s.EventId == e.EventId));
    }

    [Fact]
    public async Task An_invalid_event_lands_in_the_error_queue_with_its_reason_and_the_rest_is_stored()
    {
        var rejected = new TaskCompletionSource<(Guid EventId, string? Reason)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var errorQueue = _system.Bus.ConnectReceiveEndpoint("audit-events_error", endpoint => endpoint.Handler<AuditEvent>(context =>
        {
            rejected.TrySetResult((context.Message.EventId, context.Headers.Get<string>(AuditIngestConsumer.ReasonHeader)));
            return Task.CompletedTask;
        }));
        try
        {
            await errorQueue.Ready;
            var good = SampleEvents.Stream(3, client: _client);
            var bad = SampleEvents.Call(client: _client) with { Source = new string('s', 10_000) };

            await _system.Bus.Publish(new AuditEventBatch([good[0], bad, good[1], good[2]]));

            var (eventId, reason) = await rejected.Task.WaitAsync(AuditSystem.Settle);
            Assert.Equal(bad.EventId, eventId);
            Assert.Equal("Source is 10000 characters, more than 256", reason);
            var stored = await _system.WaitForStoredAsync(_client, s => s.Count >= 3);
            Assert.Equal(good.Select(e => e.EventId).Order(), stored.Select(e => e.EventId).Order());
        }
        finally
        {
            // The system outlives this test: nothing else may keep consuming its error queue.
            await errorQueue.StopAsync();
        }
    }

    [Fact]
    public async Task Killing_the_service_mid_stream_stores_all_10000_events_exactly_once()
    {
        var events = SampleEvents.Stream(StreamSize, client: _client);
        var service = await _system.App.ProcessIdAsync("audit") ?? throw new InvalidOperationException("audit is not running");

        var publishing = _system.PublishStreamAsync(events);
        await _system.WaitForStoredAsync(_client, s => s.Count >= StreamSize / 5);
        GatewayTestApp.Kill(service);
        await publishing;

        using (var restart = new CancellationTokenSource(AuditSystem.Settle))
        {
            // The AppHost's crash restarter, not the test, starts it again.
            await _system.App.WaitForNewProcessAsync("audit", service, restart.Token);
        }

        AuditAssert.StoredExactlyOnce(events, await _system.WaitForAllStoredAsync(_client, events));
    }

    [Fact]
    public async Task Sigterm_mid_stream_exits_zero_and_a_restart_stores_the_rest()
    {
        var events = SampleEvents.Stream(StreamSize / 2, client: _client);
        var service = await _system.App.ProcessIdAsync("audit") ?? throw new InvalidOperationException("audit is not running");
        using var deadline = new CancellationTokenSource(AuditSystem.Settle);
        var exit = _system.App.WaitForExitAsync("audit", deadline.Token);

        var publishing = _system.PublishStreamAsync(events);
        await _system.WaitForStoredAsync(_client, s => s.Count >= StreamSize / 10);
        GatewayTestApp.Terminate(service);
        Assert.Equal(0, await exit);
        await publishing;
        // Exit code 0 is a deliberate stop: the crash restarter leaves it stopped, so the test starts it.
        var started = await _system.App.ExecuteCommandAsync("audit", KnownResourceCommands.StartCommand, deadline.Token);
        Assert.True(started.Success, started.Message);

        AuditAssert.StoredExactlyOnce(events, await _system.WaitForAllStoredAsync(_client, events));
    }
}
