using System.Diagnostics;
using Gateway.AuditService.Storage;
using Gateway.Contracts.Messages;

namespace Gateway.Bench.Audit;

/// <summary>
/// The store alone, without the bus: appends events in batches of the size the consumer commits and reports
/// events per second and the process CPU spent per event, to split end-to-end cost between bus and database.
/// </summary>
internal static class StoreBenchmark
{
    public static async Task<int> RunAsync(BenchArguments args)
    {
        var total = args.Int("events", 200_000);
        var batchSize = args.Int("batch", 5_000);
        var store = StorageExtensions.Create(args.Required("auditdb"), TimeProvider.System);
        await store.MigrateAsync(default);
        var now = DateTimeOffset.UtcNow;
        var batches = Enumerable.Range(0, total / batchSize)
            .Select(b => Enumerable.Range(0, batchSize).Select(i => IngestBenchmark.Event("bench/store", now, b, i)).ToArray())
            .ToArray();

        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var started = Stopwatch.GetTimestamp();
        foreach (var batch in batches)
        {
            await store.AppendAsync(batch, default);
        }

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        Console.WriteLine($"| store-only append ({batchSize} per transaction) | {total / seconds:N0} events/s, {cpu.TotalMicroseconds / total:N1} µs CPU per event |");
        await ((IAsyncDisposable)store).DisposeAsync();
        return 0;
    }
}
