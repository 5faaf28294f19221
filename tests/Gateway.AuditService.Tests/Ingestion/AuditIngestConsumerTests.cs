using System.Collections.Concurrent;
using System.Diagnostics;
using Gateway.AuditService.Ingestion;
using Gateway.AuditService.Tests.Infrastructure;
using Gateway.Contracts.Circuit;
using Gateway.Contracts.Messages;
using MassTransit;
using Microsoft.Data.Sqlite;

namespace Gateway.AuditService.Tests.Ingestion;

public sealed class AuditIngestConsumerTests
{
    [Fact]
    public async Task An_event_published_twice_is_stored_once()
    {
        await using var ingest = await IngestionHarness.StartAsync();
        var e = SampleEvents.Call();

        var first = await ingest.PublishAsync(e);
        await ingest.ConsumedAsync<AuditEvent>(m => m.MessageId == first);
        var second = await ingest.PublishAsync(e);
        await ingest.ConsumedAsync<AuditEvent>(m => m.MessageId == second);

        var stored = await ingest.StoredAsync();
        Assert.Equal(e, Assert.Single(stored));
    }

    [Fact]
    public async Task A_proxy_batch_is_flattened_and_its_invalid_event_rejected_with_a_reason()
    {
        await using var ingest = await IngestionHarness.StartAsync();
        var good = SampleEvents.Stream(3);
        var missing = SampleEvents.Call() with { Status = null!, Method = "" };
        var oversized = SampleEvents.Call() with { Detail = new string('x', AuditLimits.MaxDetailLength + 1) };

        var sent = await ingest.PublishAsync(new AuditEventBatch([good[0], missing, good[1], oversized, good[2]]));
        await ingest.ConsumedAsync<AuditEventBatch>(m => m.MessageId == sent);

        Assert.Equal(good.Select(e => e.EventId).Order(), (await ingest.StoredAsync()).Select(e => e.EventId).Order());
        var rejected = ingest.Rejected().ToDictionary(r => ((AuditEvent)r.Message).EventId, r => r.Reason);
        Assert.Equal(2, rejected.Count);
        Assert.Contains("Status is missing", rejected[missing.EventId]);
        Assert.Contains("Method is missing", rejected[missing.EventId]);
        Assert.Contains("Detail is 8193 characters", rejected[oversized.EventId]);
    }

    [Fact]
    public async Task An_llm_request_is_stored_with_its_attempts_and_one_over_its_bounds_goes_to_the_error_queue()
    {
        await using var ingest = await IngestionHarness.StartAsync();
        var good = SampleEvents.LlmCall();
        var tooMany = SampleEvents.LlmCall() with
        {
            Llm = good.Llm! with { Attempts = [.. Enumerable.Repeat(good.Llm!.Attempts[0], AuditLimits.MaxLlmAttempts + 1)] },
        };

        var sent = await ingest.PublishAsync(new AuditEventBatch([good, tooMany]));
        await ingest.ConsumedAsync<AuditEventBatch>(m => m.MessageId == sent);

        EventAssert.Same(good, Assert.Single(await ingest.StoredAsync()));
        var (message, reason, kind) = Assert.Single(ingest.RejectedWithKind());
        Assert.Equal(tooMany.EventId, ((AuditEvent)message).EventId);
        Assert.Equal("Llm.Attempts has 17 attempts, more than 16", reason);
        Assert.Equal(AuditIngestConsumer.ValidationReason, kind);
    }

    [Fact]
    public async Task An_invalid_single_event_goes_to_the_error_queue_and_the_rest_of_the_batch_is_stored()
    {
        await using var ingest = await IngestionHarness.StartAsync();
        var good = SampleEvents.Call();
        var bad = SampleEvents.Call() with { EventId = Guid.Empty };

        await ingest.Harness.Bus.PublishBatch([bad, good]);
        await ingest.ConsumedAsync<AuditEvent>(m => m.Message.EventId == good.EventId);
        await ingest.ConsumedAsync<AuditEvent>(m => m.Message.EventId == bad.EventId);

        Assert.Equal(good.EventId, Assert.Single(await ingest.StoredAsync()).EventId);
        var (message, reason) = Assert.Single(ingest.Rejected());
        Assert.Equal(Guid.Empty, ((AuditEvent)message).EventId);
        Assert.Equal("EventId is missing", reason);
    }

    [Fact]
    public async Task Breaker_and_health_transitions_are_stored_as_transition_records_once()
    {
        await using var ingest = await IngestionHarness.StartAsync();
        var at = SampleEvents.Epoch;
        var opened = new CircuitStateChanged(41, "everything", CircuitState.Open, CircuitState.Closed, 1, "5 consecutive failures", "monitor", at, at.AddSeconds(30));
        var unhealthy = new BackendHealthChanged(42, "everything", false, "probe timed out", at.AddSeconds(1));

        var first = await ingest.PublishAsync(opened);
        var health = await ingest.PublishAsync(unhealthy);
        var again = await ingest.PublishAsync(opened);
        foreach (var id in new[] { first, again })
        {
            await ingest.ConsumedAsync<CircuitStateChanged>(m => m.MessageId == id);
        }

        await ingest.ConsumedAsync<BackendHealthChanged>(m => m.MessageId == health);

        var stored = (await ingest.StoredAsync()).OrderBy(e => e.Timestamp).ToList();
        Assert.Equal(2, stored.Count);
        Assert.Equal(
            (AuditDecision.Transition, "open", "monitor", "everything", "5 consecutive failures", at),
            (stored[0].Decision, stored[0].Status, stored[0].ClientId, stored[0].Backend, stored[0].Detail, stored[0].Timestamp));
        Assert.Equal(TransitionRecords.DeterministicId(nameof(CircuitStateChanged), "everything", 41), stored[0].EventId);
        Assert.Equal((AuditDecision.Transition, "unhealthy", "probe timed out"), (stored[1].Decision, stored[1].Status, stored[1].Detail));
    }

    [Fact]
    public async Task A_commit_the_database_refuses_rejects_only_the_refused_event_and_stores_the_rest()
    {
        var poison = SampleEvents.Call() with { Detail = "the database refuses this one" };
        await using var ingest = await IngestionHarness.StartAsync(store => new FaultyAuditStore(store, events =>
            events.Any(e => e.EventId == poison.EventId) ? new SqliteException("CHECK constraint failed: detail", 19) : null));
        var good = SampleEvents.Stream(3);
        var single = SampleEvents.Call();

        var batch = await ingest.PublishAsync(new AuditEventBatch([good[0], poison, good[1], good[2]]));
        var alone = await ingest.PublishAsync(single);
        await ingest.ConsumedAsync<AuditEventBatch>(m => m.MessageId == batch);
        await ingest.ConsumedAsync<AuditEvent>(m => m.MessageId == alone);

        Assert.Equal(good.Append(single).Select(e => e.EventId).Order(), (await ingest.StoredAsync()).Select(e => e.EventId).Order());
        var (message, reason, kind) = Assert.Single(ingest.RejectedWithKind());
        Assert.Equal(poison.EventId, ((AuditEvent)message).EventId);
        Assert.Equal(AuditIngestConsumer.CommitReason, kind);
        Assert.Contains("CHECK constraint failed: detail", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_locked_database_is_retried_until_the_batch_commits_and_nothing_is_rejected()
    {
        var failures = 2;
        FaultyAuditStore? faulty = null;
        await using var ingest = await IngestionHarness.StartAsync(store => faulty = new FaultyAuditStore(store, _ =>
            Interlocked.Decrement(ref failures) >= 0 ? new SqliteException("database is locked", 6) : null));
        var events = SampleEvents.Stream(3);

        var sent = await ingest.PublishAsync(new AuditEventBatch(events));
        await ingest.ConsumedAsync<AuditEventBatch>(m => m.MessageId == sent);

        Assert.Equal(events.Select(e => e.EventId).Order(), (await ingest.StoredAsync()).Select(e => e.EventId).Order());
        Assert.Empty(ingest.Rejected());
        Assert.Equal(3, faulty!.Appends);
    }

    [Fact]
    public async Task A_proxy_batch_is_stored_in_an_audit_store_span_under_the_consume_span_of_the_publishers_trace()
    {
        var started = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is AuditStoreActivity.SourceName or "MassTransit",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = started.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var ingest = await IngestionHarness.StartAsync();

        // Stands for the proxy's publish span: the bus carries its trace to the consumer.
        var publish = new Activity("audit publish").Start();
        var sent = await ingest.PublishAsync(new AuditEventBatch(SampleEvents.Stream(3)));
        publish.Stop();
        await ingest.ConsumedAsync<AuditEventBatch>(m => m.MessageId == sent);

        var inTrace = started.Where(span => span.TraceId == publish.TraceId).ToList();
        var store = Assert.Single(inTrace, span => span.OperationName == AuditStoreActivity.Name);
        var consume = Assert.Single(inTrace, span => span.SpanId == store.ParentSpanId);
        Assert.Equal(ActivityKind.Consumer, consume.Kind);
        Assert.EndsWith(" process", consume.DisplayName, StringComparison.Ordinal);
        Assert.Equal(3, store.GetTagItem(AuditStoreActivity.EventCountTag));
        Assert.Equal("sqlite", store.GetTagItem(AuditStoreActivity.DatabaseTag));
    }
}
