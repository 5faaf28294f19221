using System.Collections.Concurrent;
using System.Diagnostics;
using Gateway.Contracts.Messages;
using MassTransit;

namespace Gateway.Bench.Audit;

/// <summary>
/// End-to-end ingest: publishes events in <see cref="AuditEventBatch"/> messages (as proxies do) at a fixed rate and
/// measures, for the last event of every message, the time from publish to visible in the database.
/// </summary>
internal static class IngestBenchmark
{
    private const int MaxPublishesInFlight = 32;

    public static async Task<int> RunAsync(BenchArguments args)
    {
        var total = args.Int("events", 300_000);
        var rate = args.Int("rate", 25_000);
        var batchSize = args.Int("batch", 100);
        var source = "bench/" + Guid.NewGuid().ToString("N")[..8];

        var bus = Bus.Factory.CreateUsingRabbitMq(rabbit => rabbit.Host(new Uri(args.Required("messaging"))));
        await bus.StartAsync();
        await using var probe = await CommitProbe.OpenAsync(args.Required("auditdb"));

        var pending = new ConcurrentQueue<(Guid Id, long PublishedAt)>();
        var latencies = new List<double>();
        var messages = total / batchSize;
        using var stopPolling = new CancellationTokenSource();
        var publishing = true;
        long lastCommitAt = 0;

        var poller = Task.Run(async () =>
        {
            var waiting = new List<(Guid Id, long PublishedAt)>();
            var deadline = TimeSpan.FromSeconds(120);
            var idleSince = Stopwatch.GetTimestamp();
            while (publishing || !pending.IsEmpty || waiting.Count > 0)
            {
                while (pending.TryDequeue(out var sample))
                {
                    waiting.Add(sample);
                }

                foreach (var chunk in waiting.Chunk(500).ToArray())
                {
                    var found = await probe.CommittedAsync(chunk.Select(s => s.Id).ToArray());
                    var now = Stopwatch.GetTimestamp();
                    foreach (var sample in chunk.Where(s => found.Contains(s.Id)))
                    {
                        latencies.Add(Stopwatch.GetElapsedTime(sample.PublishedAt, now).TotalMilliseconds);
                        lastCommitAt = now;
                        idleSince = now;
                    }

                    waiting.RemoveAll(s => found.Contains(s.Id));
                }

                if (!publishing && Stopwatch.GetElapsedTime(idleSince) > deadline)
                {
                    Console.Error.WriteLine($"{waiting.Count} sampled messages never committed.");
                    return;
                }

                await Task.Delay(10);
            }
        });

        using var gate = new SemaphoreSlim(MaxPublishesInFlight);
        var inFlight = new List<Task>(messages);
        var start = Stopwatch.GetTimestamp();
        var interval = (double)batchSize / rate * Stopwatch.Frequency;
        for (var i = 0; i < messages; i++)
        {
            var due = start + (long)(i * interval);
            var ahead = due - Stopwatch.GetTimestamp();
            if (ahead > Stopwatch.Frequency / 1000)
            {
                await Task.Delay(TimeSpan.FromSeconds((double)ahead / Stopwatch.Frequency));
            }

            var now = DateTimeOffset.UtcNow;
            var events = new AuditEvent[batchSize];
            for (var j = 0; j < batchSize; j++)
            {
                events[j] = Event(source, now, i, j);
            }

            await gate.WaitAsync();
            var publishedAt = Stopwatch.GetTimestamp();
            inFlight.Add(PublishAsync(bus, new AuditEventBatch(events), gate, () => pending.Enqueue((events[^1].EventId, publishedAt))));
        }

        await Task.WhenAll(inFlight);
        var publishSeconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        publishing = false;
        await poller;
        await bus.StopAsync();

        var stored = await probe.CountAsync(source);
        latencies.Sort();
        var seconds = Stopwatch.GetElapsedTime(start, lastCommitAt).TotalSeconds;
        Console.WriteLine($"| events published | {total:N0} in {messages:N0} messages of {batchSize} |");
        Console.WriteLine($"| offered rate | {rate:N0} events/s (achieved publish rate {total / publishSeconds:N0} events/s) |");
        Console.WriteLine($"| stored | {stored:N0} ({(stored == total ? "all" : "MISSING " + (total - stored))}) |");
        Console.WriteLine($"| sustained ingest (first publish to last commit) | {total / seconds:N0} events/s |");
        Console.WriteLine($"| time to committed p50 / p95 / p99 / max | {Percentiles.Of(latencies, 50):N0} / {Percentiles.Of(latencies, 95):N0} / {Percentiles.Of(latencies, 99):N0} / {latencies[^1]:N0} ms ({latencies.Count:N0} samples) |");
        return stored == total ? 0 : 1;
    }

    private static async Task PublishAsync(IBus bus, AuditEventBatch batch, SemaphoreSlim gate, Action published)
    {
        try
        {
            await bus.Publish(batch);
            published();
        }
        finally
        {
            gate.Release();
        }
    }

    internal static AuditEvent Event(string source, DateTimeOffset at, int message, int index) => new(
        EventId: Guid.NewGuid(),
        Timestamp: at,
        Source: source,
        RequestId: $"{message}-{index}",
        SessionId: "bench-session",
        ClientId: $"client-{index % 50}",
        Method: "tools/call",
        Target: $"tool-{index % 20}",
        Backend: $"backend-{index % 5}",
        Decision: index % 10 == 0 ? AuditDecision.Refused : AuditDecision.Allowed,
        Status: index % 10 == 0 ? "rate_limited" : "ok",
        ErrorCode: index % 10 == 0 ? -32005 : null,
        LatencyMs: 5 + index % 40,
        ResponseBytes: 512,
        ArgumentsSha256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        Arguments: null,
        Detail: null);
}
