using System.Diagnostics;
using Gateway.Contracts.Messages;
using Gateway.Proxy.Audit;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Gateway.Proxy.Tests.Audit;

/// <summary>
/// The publisher's buffering, spilling and replay against a transport that stands for the broker and can be made
/// to refuse. Runs on the real clock with short intervals; every wait is for a condition, bounded by a generous deadline.
/// </summary>
[Collection(nameof(ProcessWideActivityListeners))]
public sealed class AuditPublisherTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly string _directory = AuditTestEvents.TempDirectory();
    private readonly FakeBus _bus = new();

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [Fact]
    public async Task EventsReachTheBusInBatchesInRecordedOrder()
    {
        await using var audit = Start(batchSize: 7);

        for (var i = 0; i < 50; i++)
        {
            audit.Buffer.Write(AuditTestEvents.Numbered(i));
        }

        await WaitUntil(() => _bus.Delivered.Count == 50);
        Assert.Equal(Enumerable.Range(0, 50), _bus.Delivered.Select(AuditTestEvents.Number));
        Assert.All(_bus.Batches, b => Assert.InRange(b, 1, 7));
        Assert.False(audit.Spill.HasPending);
    }

    [Fact]
    public async Task StoppingTwiceConcurrentlyOrAfterDisposeWaitsForTheOneFlushInsteadOfFailing()
    {
        // WebApplicationFactory stops the host while the application's own Run stops it too, then disposes it.
        await using var audit = Start(batchSize: 5, batchDelay: TimeSpan.FromMinutes(5),
            recordBeforeStart: buffer => RecordNumbered(buffer, 0, 3));

        var first = audit.Publisher.StopAsync(CancellationToken.None);
        var second = audit.Publisher.StopAsync(CancellationToken.None);
        await second;
        audit.Publisher.Dispose();
        await audit.Publisher.StopAsync(CancellationToken.None);

        Assert.Same(first, second);
        Assert.True(first.IsCompletedSuccessfully);
        Assert.Equal(Enumerable.Range(0, 3), _bus.Delivered.Select(AuditTestEvents.Number));
    }

    [Fact]
    public async Task EventsConfirmedByTheBusOrSpilledLeaveNoWriteAheadJournalBehind()
    {
        _bus.Down = true;
        var audit = Start(batchSize: 50, writeAhead: true);
        RecordNumbered(audit.Buffer, 0, 1500);
        await WaitUntil(() => audit.Spill.HasPending && audit.Buffer.Count == 0);
        _bus.Down = false;
        RecordNumbered(audit.Buffer, 1500, 1500);
        await WaitUntil(() => _bus.Delivered.Count >= 3000 && !audit.Spill.HasPending);

        await audit.DisposeAsync();

        Assert.Empty(Directory.GetFiles(_directory, "*.ndjson", SearchOption.AllDirectories));
        // Every event delivered; the order of spilled and fresh events is pinned by the replay test below.
        Assert.Equal(Enumerable.Range(0, 3000), _bus.Delivered.DistinctBy(e => e.EventId).Select(AuditTestEvents.Number).Order());
    }

    [Fact]
    public async Task AFullBatchAlreadyQueuedGoesOutWithoutWaitingForTheBatchDelay()
    {
        // The delay is far beyond the test's deadline: only a batch sent at once can arrive.
        await using var audit = Start(batchSize: 5, batchDelay: TimeSpan.FromMinutes(5),
            recordBeforeStart: buffer => RecordNumbered(buffer, 0, 5));

        await WaitUntil(() => _bus.Delivered.Count == 5);
        Assert.Equal([5], _bus.Batches);
    }

    [Fact]
    public async Task WhileTheBusIsDownEventsGoToDiskAndAreReplayedInOrderWhenItReturns()
    {
        _bus.Down = true;
        await using var audit = Start(batchSize: 10);

        for (var i = 0; i < 30; i++)
        {
            audit.Buffer.Write(AuditTestEvents.Numbered(i));
        }

        await WaitUntil(() => audit.Spill.HasPending && audit.Buffer.Count == 0);
        for (var i = 30; i < 60; i++)
        {
            audit.Buffer.Write(AuditTestEvents.Numbered(i));
        }

        _bus.Down = false;
        await WaitUntil(() => _bus.Delivered.Count >= 60 && !audit.Spill.HasPending);
        Assert.Equal(Enumerable.Range(0, 60), _bus.Delivered.Select(AuditTestEvents.Number).Distinct());
        Assert.Equal(Enumerable.Range(0, 60), _bus.Delivered.Select(AuditTestEvents.Number).DistinctBy(n => n).Order());
    }

    [Fact]
    public async Task AFullBufferOverflowsToDiskWithoutBlockingOrLosingEvents()
    {
        _bus.Hang = true;
        await using var audit = Start(batchSize: 4, capacity: 16);

        // The publisher holds one batch in a hanging publish; the rest must overflow to disk at once.
        for (var i = 0; i < 200; i++)
        {
            audit.Buffer.Write(AuditTestEvents.Numbered(i));
        }

        Assert.True(audit.Spill.HasPending);
        _bus.Hang = false;
        await WaitUntil(() => _bus.Delivered.Select(AuditTestEvents.Number).Distinct().Count() == 200 && !audit.Spill.HasPending);
    }

    [Fact]
    public async Task StopFlushesTheBufferToTheBus()
    {
        var audit = Start(batchSize: 1000, batchDelay: TimeSpan.FromMinutes(1));
        for (var i = 0; i < 25; i++)
        {
            audit.Buffer.Write(AuditTestEvents.Numbered(i));
        }

        await audit.DisposeAsync();

        Assert.Equal(Enumerable.Range(0, 25), _bus.Delivered.Select(AuditTestEvents.Number));
    }

    [Fact]
    public async Task StopWithTheBusDownLeavesEveryEventOnDiskForTheNextRun()
    {
        _bus.Down = true;
        var audit = Start(batchSize: 5);
        for (var i = 0; i < 12; i++)
        {
            audit.Buffer.Write(AuditTestEvents.Numbered(i));
        }

        await audit.DisposeAsync();
        _bus.Down = false;
        await using var next = Start(batchSize: 5);

        await WaitUntil(() => _bus.Delivered.Count == 12 && !next.Spill.HasPending);
        Assert.Equal(Enumerable.Range(0, 12), _bus.Delivered.Select(AuditTestEvents.Number));
    }

    [Fact]
    public async Task EventsRecordedAfterTheFlushGoStraightToDisk()
    {
        var audit = Start(batchSize: 5);
        await audit.DisposeAsync(keepSpillOpen: true);

        audit.Buffer.Write(AuditTestEvents.Numbered(99));

        Assert.Equal([99], audit.Spill.SealSegments().SelectMany(AuditSpillFile.Read).Select(AuditTestEvents.Number));
        Assert.Empty(_bus.Delivered);
        audit.Spill.Dispose();
    }

    [Fact]
    public async Task ABatchIsPublishedInsideAProducerSpanThatContinuesItsFirstCallsTraceAndLinksTheOtherCalls()
    {
        using var listener = ListenToPublishSpans();
        ActivityContext first = default, second = default;

        // A full batch queued before the start goes out as one: events 0 and 1 from the first call, 2 from the
        // second, 3 from outside any call.
        await using var audit = Start(batchSize: 4, batchDelay: TimeSpan.FromMinutes(5), recordBeforeStart: buffer =>
        {
            first = RecordDuringCall(buffer, 0, 1);
            second = RecordDuringCall(buffer, 2);
            buffer.Write(AuditTestEvents.Numbered(3));
        });

        await WaitUntil(() => _bus.Delivered.Count == 4);
        var span = Assert.Single(_bus.CurrentSpans);
        Assert.NotNull(span);
        Assert.Equal(AuditPublishActivity.SourceName, span.Source.Name);
        Assert.Equal(AuditPublishActivity.Name, span.OperationName);
        Assert.Equal(ActivityKind.Producer, span.Kind);
        Assert.Equal(first.TraceId, span.TraceId);
        Assert.Equal(first.SpanId, span.ParentSpanId);
        Assert.Equal([second], span.Links.Select(link => link.Context));
        Assert.Equal(4, span.GetTagItem(AuditPublishActivity.EventCountTag));
    }

    [Fact]
    public async Task WithoutAListenerABatchIsPublishedWithoutASpan()
    {
        await using var audit = Start(batchSize: 2, batchDelay: TimeSpan.FromMinutes(5),
            recordBeforeStart: buffer => RecordDuringCall(buffer, 0, 1));

        await WaitUntil(() => _bus.Delivered.Count == 2);
        Assert.Null(Assert.Single(_bus.CurrentSpans));
    }

    [Fact]
    public async Task AReplayedBatchStartsATraceOfItsOwn()
    {
        using var listener = ListenToPublishSpans();
        _bus.Down = true;
        var audit = Start(batchSize: 1, recordBeforeStart: buffer => RecordDuringCall(buffer, 0));
        await audit.DisposeAsync();
        _bus.Down = false;

        await using var next = Start(batchSize: 1);

        await WaitUntil(() => _bus.Delivered.Count == 1 && !next.Spill.HasPending);
        var span = Assert.Single(_bus.CurrentSpans);
        Assert.NotNull(span);
        Assert.Null(span.ParentId);
        Assert.Empty(span.Links);
    }

    /// <summary>Records events numbered <paramref name="numbers"/> during a call's span, which it returns.</summary>
    private static ActivityContext RecordDuringCall(AuditBuffer buffer, params int[] numbers)
    {
        using var call = new Activity("POST /mcp").Start();
        foreach (var number in numbers)
        {
            buffer.Write(AuditTestEvents.Numbered(number));
        }

        return call.Context;
    }

    private static void RecordNumbered(AuditBuffer buffer, int first, int count)
    {
        for (var i = first; i < first + count; i++)
        {
            buffer.Write(AuditTestEvents.Numbered(i));
        }
    }

    private static ActivityListener ListenToPublishSpans()
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == AuditPublishActivity.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(Deadline);
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }

    private RunningPublisher Start(int batchSize, int capacity = 1024, TimeSpan? batchDelay = null, Action<AuditBuffer>? recordBeforeStart = null,
        bool writeAhead = false)
    {
        var options = Options.Create(new AuditOptions
        {
            BatchSize = batchSize,
            BufferCapacity = capacity,
            BatchDelay = batchDelay ?? TimeSpan.FromMilliseconds(5),
            RetryInterval = TimeSpan.FromMilliseconds(20),
            PublishTimeout = TimeSpan.FromMilliseconds(200),
        });
        var spill = new AuditSpillFile(_directory, "test", TimeProvider.System);
        var journal = writeAhead ? new AuditJournal(spill, "test", TimeProvider.System) : null;
        var buffer = new AuditBuffer(capacity, spill, journal);
        recordBeforeStart?.Invoke(buffer);

        var publisher = new AuditPublisher(buffer, spill, options, TimeProvider.System, NullLogger<AuditPublisher>.Instance, _bus);
        publisher.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        return new RunningPublisher(publisher, buffer, spill, journal);
    }

    private sealed class RunningPublisher(AuditPublisher publisher, AuditBuffer buffer, AuditSpillFile spill, AuditJournal? journal) : IAsyncDisposable
    {
        private bool _stopped;

        public AuditPublisher Publisher => publisher;

        public AuditBuffer Buffer => buffer;

        public AuditSpillFile Spill => spill;

        public ValueTask DisposeAsync() => DisposeAsync(keepSpillOpen: false);

        public async ValueTask DisposeAsync(bool keepSpillOpen)
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
            await publisher.StopAsync(CancellationToken.None);
            publisher.Dispose();
            journal?.Dispose();
            if (!keepSpillOpen)
            {
                spill.Dispose();
            }
        }
    }

    /// <summary>
    /// Stands for the broker: accepts batches, refuses them (down), or never confirms (hang). Like MassTransit, it
    /// sees the span current when it is called.
    /// </summary>
    private sealed class FakeBus : IAuditTransport
    {
        private readonly Lock _gate = new();
        private readonly List<AuditEvent> _delivered = [];
        private readonly List<int> _batches = [];
        private readonly List<Activity?> _currentSpans = [];

        public volatile bool Down;
        public volatile bool Hang;

        public IReadOnlyList<AuditEvent> Delivered
        {
            get
            {
                lock (_gate)
                {
                    return [.. _delivered];
                }
            }
        }

        public IReadOnlyList<int> Batches
        {
            get
            {
                lock (_gate)
                {
                    return [.. _batches];
                }
            }
        }

        /// <summary>The span current during each accepted publish, in order.</summary>
        public IReadOnlyList<Activity?> CurrentSpans
        {
            get
            {
                lock (_gate)
                {
                    return [.. _currentSpans];
                }
            }
        }

        public async Task PublishAsync(AuditEventBatch batch, CancellationToken cancellationToken)
        {
            var current = Activity.Current;
            if (Hang)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }

            if (Down)
            {
                throw new InvalidOperationException("broker unreachable");
            }

            lock (_gate)
            {
                _delivered.AddRange(batch.Events);
                _batches.Add(batch.Events.Count);
                _currentSpans.Add(current);
            }
        }
    }
}
