using System.Collections.Concurrent;
using System.Diagnostics;
using Gateway.Contracts.Messages;
using MassTransit;

namespace Gateway.Bench.Audit;

/// <summary>
/// End-to-end ingest: publishes events in <see cref="AuditEventBatch"/> messages (as proxies do) at a fixed rate and
/// measures, for the last event of every message, the time from publish to visible in the database. A warm-up pass
/// runs first and is not measured, so the figures are the long-running service's (JIT tiering done), not its first
/// seconds. With <c>--service-pid</c> (and <c>--broker-pid</c>) it also reports the CPU those processes spent per event
/// during the measured pass: unlike events/s, that does not depend on what else the machine is running.
/// </summary>
internal static class IngestBenchmark
{
    private const int MaxPublishesInFlight = 32;

    public static async Task<int> RunAsync(BenchArguments args)
    {
        var total = args.Int("events", 300_000);
        var warmup = args.Int("warmup", 100_000);
        var rate = args.Int("rate", 25_000);
        var batchSize = args.Int("batch", 200);
        var measured = new List<ProcessCpu>();
        if (args.Int("service-pid", 0) is > 0 and var servicePid)
        {
            measured.Add(new ProcessCpu(servicePid, "audit service"));
        }

        if (args.Int("broker-pid", 0) is > 0 and var brokerPid)
        {
            measured.Add(new ProcessCpu(brokerPid, "RabbitMQ"));
        }

        if (args.Int("db-pid", 0) is > 0 and var databasePid)
        {
            measured.Add(new ProcessCpu(databasePid, "PostgreSQL (postmaster and its backends)", WithChildren: true));
        }

        measured.Add(new ProcessCpu(Environment.ProcessId, "publisher (this process, incl. commit polling)"));

        var bus = Bus.Factory.CreateUsingRabbitMq(rabbit => rabbit.Host(new Uri(args.Required("messaging"))));
        await bus.StartAsync();
        await using var probe = await CommitProbe.OpenAsync(args.Required("auditdb"));
        if (warmup > 0)
        {
            var warm = await PassAsync(bus, probe, warmup, rate, batchSize);
            Console.Error.WriteLine($"warm-up: {warmup:N0} events, {warm.Stored:N0} stored");
        }

        var cpuBefore = measured.Select(p => p.Read()).ToArray();
        var run = await PassAsync(bus, probe, total, rate, batchSize);
        var cpuAfter = measured.Select(p => p.Read()).ToArray();
        await bus.StopAsync();

        var latencies = run.Latencies;
        Console.WriteLine($"| events published | {total:N0} in {total / batchSize:N0} messages of {batchSize} (after a warm-up of {warmup:N0}) |");
        Console.WriteLine($"| offered rate | {rate:N0} events/s (achieved publish rate {run.PublishRate:N0} events/s) |");
        Console.WriteLine($"| stored | {run.Stored:N0} ({(run.Stored == total ? "all" : "MISSING " + (total - run.Stored))}) |");
        Console.WriteLine($"| sustained ingest (first publish to last commit) | {run.IngestRate:N0} events/s |");
        Console.WriteLine($"| time to committed p50 / p95 / p99 / max | {Percentiles.Of(latencies, 50):N0} / {Percentiles.Of(latencies, 95):N0} / {Percentiles.Of(latencies, 99):N0} / {latencies[^1]:N0} ms ({latencies.Count:N0} samples) |");
        for (var i = 0; i < measured.Count; i++)
        {
            var cpu = cpuAfter[i] - cpuBefore[i];
            Console.WriteLine($"| CPU, {measured[i].Name} | {cpu.TotalSeconds:N2} s, {cpu.TotalMicroseconds / total:N1} µs per event |");
        }

        if (args.Values.TryGetValue("json", out var json))
        {
            // The same figures for bench/run's results file.
            await File.WriteAllTextAsync(json, System.Text.Json.JsonSerializer.Serialize(new
            {
                events = total,
                warmup,
                eventsPerMessage = batchSize,
                offeredPerSecond = rate,
                publishedPerSecond = run.PublishRate,
                stored = run.Stored,
                ingestPerSecond = run.IngestRate,
                timeToCommittedMilliseconds = new
                {
                    p50 = Percentiles.Of(latencies, 50),
                    p95 = Percentiles.Of(latencies, 95),
                    p99 = Percentiles.Of(latencies, 99),
                    max = latencies[^1],
                    samples = latencies.Count,
                },
                cpuMicrosecondsPerEvent = measured.Select((p, i) => new { process = p.Name, value = (cpuAfter[i] - cpuBefore[i]).TotalMicroseconds / total }),
            }));
        }

        return run.Stored == total ? 0 : 1;
    }

    private sealed record PassResult(double PublishRate, double IngestRate, long Stored, List<double> Latencies);

    /// <summary>Publishes <paramref name="total"/> events under a fresh source and waits until every sampled one is committed.</summary>
    private static async Task<PassResult> PassAsync(IBusControl bus, CommitProbe probe, int total, int rate, int batchSize)
    {
        var source = "bench/" + Guid.NewGuid().ToString("N")[..8];
        var pending = new ConcurrentQueue<(Guid Id, long PublishedAt)>();
        var latencies = new List<double>();
        var messages = total / batchSize;
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

        latencies.Sort();
        var stored = await probe.CountAsync(source);
        return new PassResult(messages * batchSize / publishSeconds, messages * batchSize / Stopwatch.GetElapsedTime(start, lastCommitAt).TotalSeconds, stored, latencies);
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

    /// <summary>A proxy-like event; ids are UUIDv7, as the proxy's (time-ordered, so the primary key grows at its end).</summary>
    internal static AuditEvent Event(string source, DateTimeOffset at, int message, int index) => new(
        EventId: Guid.CreateVersion7(at),
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
