using System.Diagnostics;
using Gateway.Bench.Proxy;

namespace Gateway.Bench.Llm;

/// <summary>Results of one fixed-rate slice: time to first event of each successful stream, in microseconds.</summary>
internal sealed record StreamSlice(long[] FirstEventMicroseconds, int Errors);

/// <summary>The two loads: streamed completions at a fixed rate (open model), plain completions in a closed loop.</summary>
internal static class ChatLoad
{
    /// <summary>
    /// Open model: stream i is scheduled at start + i/rate and its time to first event counts from that scheduled
    /// time, so a stall shows in every request it delayed (corrected for coordinated omission). A dedicated thread
    /// sleeps until each request is due (<see cref="PreciseSchedule"/>) and starts it there. Every
    /// <paramref name="sampleEvery"/> requests <paramref name="sample"/> runs off that thread with the index reached.
    /// </summary>
    public static async Task<StreamSlice> FixedRateAsync(ChatTarget target, int rate, int total, int sampleEvery = 0, Action<int>? sample = null)
    {
        var firstEvent = new long[total];
        var errors = 0;
        var streams = new Task[total];
        var ticksPerRequest = Stopwatch.Frequency / (double)rate;

        async Task StreamAsync(int index, long scheduled)
        {
            try
            {
                firstEvent[index] = (await target.StreamAsync() - scheduled) * 1_000_000 / Stopwatch.Frequency;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                firstEvent[index] = -1;
                Interlocked.Increment(ref errors);
            }
        }

        var pacer = new Thread(() =>
        {
            PreciseSchedule.UseFineTimerSlack();
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < total; i++)
            {
                var scheduled = start + (long)(i * ticksPerRequest);
                PreciseSchedule.SleepUntil(scheduled);
                if (sample is not null && i % sampleEvery == 0)
                {
                    var reached = i;
                    ThreadPool.QueueUserWorkItem(_ => sample(reached));
                }

                // Started here, not queued to the pool: the request is written before this thread sleeps again.
                streams[i] = StreamAsync(i, scheduled);
            }
        })
        { IsBackground = true, Name = "fixed-rate pacer" };
        pacer.Start();
        await Task.Run(pacer.Join);
        await Task.WhenAll(streams);
        sample?.Invoke(total);
        return new StreamSlice(firstEvent.Where(t => t >= 0).ToArray(), errors);
    }

    /// <summary>Closed loop with <paramref name="concurrency"/> callers: completed requests and failures, and the seconds taken.</summary>
    public static async Task<(long Completed, long Errors, double Seconds)> ClosedLoopAsync(ChatTarget target, int concurrency, TimeSpan duration)
    {
        long completed = 0, errors = 0;
        var start = Stopwatch.GetTimestamp();
        var end = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (Stopwatch.GetTimestamp() < end)
            {
                try
                {
                    await target.CompleteAsync();
                    Interlocked.Increment(ref completed);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        }));
        return (completed, errors, Stopwatch.GetElapsedTime(start).TotalSeconds);
    }
}
