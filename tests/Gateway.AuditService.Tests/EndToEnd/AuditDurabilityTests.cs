using Gateway.AuditService.Tests.Infrastructure;
using Gateway.Contracts.Messages;
using MassTransit;

namespace Gateway.AuditService.Tests.EndToEnd;

/// <summary>
/// The durability promises with real processes: RabbitMQ, the audit database and the audit service run as the
/// AppHost runs them, and are killed or restarted mid-stream.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class AuditDurabilityTests
{
    private const int StreamSize = 10_000;
    private const int EventsPerMessage = 10;
    private static readonly TimeSpan Settle = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task An_event_published_twice_on_the_broker_is_stored_once()
    {
        await using var system = await AuditSystem.StartAsync();
        var client = NewClient();
        var e = SampleEvents.Call(client: client);

        await system.Bus.Publish(e);
        await system.Bus.Publish(new AuditEventBatch([e, SampleEvents.Call(client: client)]));

        var stored = await system.WaitForStoredAsync(client, s => s.Count >= 2, Settle);
        Assert.Equal(2, stored.Count);
        Assert.Equal(e, stored.Single(s => s.EventId == e.EventId));
    }

    [Fact]
    public async Task An_invalid_event_lands_in_the_error_queue_with_its_reason_and_the_rest_is_stored()
    {
        await using var system = await AuditSystem.StartAsync();
        var client = NewClient();
        var rejected = new TaskCompletionSource<(Guid EventId, string? Reason)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var errorQueue = system.Bus.ConnectReceiveEndpoint("audit-events_error", endpoint => endpoint.Handler<AuditEvent>(context =>
        {
            rejected.TrySetResult((context.Message.EventId, context.Headers.Get<string>(Gateway.AuditService.Ingestion.AuditIngestConsumer.ReasonHeader)));
            return Task.CompletedTask;
        }));
        await errorQueue.Ready;
        var good = SampleEvents.Stream(3, client: client);
        var bad = SampleEvents.Call(client: client) with { Source = new string('s', 10_000) };

        await system.Bus.Publish(new AuditEventBatch([good[0], bad, good[1], good[2]]));

        var (eventId, reason) = await rejected.Task.WaitAsync(Settle);
        Assert.Equal(bad.EventId, eventId);
        Assert.Equal("Source is 10000 characters, more than 256", reason);
        var stored = await system.WaitForStoredAsync(client, s => s.Count >= 3, Settle);
        Assert.Equal(good.Select(e => e.EventId).Order(), stored.Select(e => e.EventId).Order());
    }

    [Fact]
    public async Task Killing_the_service_mid_stream_stores_all_10000_events_exactly_once()
    {
        await using var system = await AuditSystem.StartAsync();
        var client = NewClient();
        var events = SampleEvents.Stream(StreamSize, client: client);
        var before = system.App.GetResource("audit");

        var publishing = PublishStreamAsync(system, events);
        await system.WaitForStoredAsync(client, s => s.Count >= StreamSize / 5, Settle);
        system.App.KillResource("audit");
        await publishing;

        var stored = await system.WaitForStoredAsync(client, s => s.Count >= StreamSize, Settle);
        Assert.True(system.App.GetResource("audit").Restarts > before.Restarts, "the audit service was not restarted");
        AssertExactlyOnce(events, stored);
    }

    [Fact]
    public async Task A_broker_restart_mid_stream_loses_nothing_with_postgresql()
    {
        await using var system = await AuditSystem.StartAsync(postgres: true);
        var client = NewClient();
        var events = SampleEvents.Stream(StreamSize, client: client);

        var publishing = PublishStreamAsync(system, events);
        await system.WaitForStoredAsync(client, s => s.Count >= StreamSize / 5, Settle);
        await system.App.RestartResourceAsync("messaging");
        await publishing;

        var stored = await system.WaitForStoredAsync(client, s => s.Count >= StreamSize, Settle);
        AssertExactlyOnce(events, stored);
    }

    [Fact]
    public async Task A_bus_unhealthy_past_the_stall_timeout_restarts_the_service_and_loses_nothing()
    {
        await using var system = await AuditSystem.StartAsync(configure: model => model
            .WithEnvironment("audit", "Gateway__Audit__Ingestion__StallTimeout", "00:00:04")
            .WithEnvironment("audit", "Gateway__Audit__Ingestion__StallCheckInterval", "00:00:00.500"));
        var client = NewClient();
        var events = SampleEvents.Stream(StreamSize / 10, client: client);
        var before = system.App.GetResource("audit");

        await system.App.StopResourceAsync("messaging");
        await WaitUntilAsync(() => system.App.GetResource("audit").Restarts > before.Restarts, Settle);
        Assert.Equal(Gateway.AuditService.Ingestion.IngestionStallWatchdog.StalledExitCode, system.App.GetResource("audit").LastExitCode);
        await system.App.StartResourceAsync("messaging");
        await PublishStreamAsync(system, events);

        var stored = await system.WaitForStoredAsync(client, s => s.Count >= events.Count, Settle);
        AssertExactlyOnce(events, stored);
    }

    [Fact]
    public async Task Sigterm_mid_stream_exits_zero_and_a_restart_stores_the_rest()
    {
        await using var system = await AuditSystem.StartAsync();
        var client = NewClient();
        var events = SampleEvents.Stream(StreamSize / 2, client: client);

        var publishing = PublishStreamAsync(system, events);
        await system.WaitForStoredAsync(client, s => s.Count >= StreamSize / 10, Settle);
        await system.App.StopResourceAsync("audit");
        Assert.Equal(0, system.App.GetResource("audit").LastExitCode);
        await publishing;
        await system.App.StartResourceAsync("audit");

        var stored = await system.WaitForStoredAsync(client, s => s.Count >= events.Count, Settle);
        AssertExactlyOnce(events, stored);
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (!condition())
        {
            await Task.Delay(TimeSpan.FromMilliseconds(200), deadline.Token);
        }
    }

    private static string NewClient() => "e2e-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>Publishes the events in proxy-sized batches, a few at a time, retrying through outages.</summary>
    private static async Task PublishStreamAsync(AuditSystem system, List<AuditEvent> events)
    {
        using var timeout = new CancellationTokenSource(Settle);
        await Parallel.ForEachAsync(
            events.Chunk(EventsPerMessage),
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = timeout.Token },
            async (chunk, ct) => await system.PublishReliablyAsync(new AuditEventBatch(chunk), ct));
    }

    private static void AssertExactlyOnce(List<AuditEvent> published, List<AuditEvent> stored)
    {
        Assert.Equal(published.Count, stored.Count);
        Assert.Equal(published.Select(e => e.EventId).Order(), stored.Select(e => e.EventId).Order());
    }
}
