using System.Diagnostics;
using HdrHistogram;

namespace Gateway.Bench.Proxy;

/// <summary>An MCP session (initialize once) and a pre-built tools/call request body.</summary>
internal sealed class McpTarget : IDisposable
{
    private static readonly byte[] s_call = """{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi"}}}"""u8.ToArray();
    private readonly HttpClient _http;
    private readonly Uri _url;
    private readonly string _session;

    private McpTarget(HttpClient http, Uri url, string session)
    {
        _http = http;
        _url = url;
        _session = session;
    }

    public static async Task<McpTarget> ConnectAsync(Uri url)
    {
        var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 1024, PooledConnectionLifetime = Timeout.InfiniteTimeSpan });
        using var request = Build(url, """{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}"""u8.ToArray(), null);
        using var response = await http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        return new McpTarget(http, url, response.Headers.GetValues("Mcp-Session-Id").Single());
    }

    /// <summary>One tools/call answered as JSON; throws unless it succeeded.</summary>
    public async Task CallAsync()
    {
        using var request = Build(_url, s_call, _session);
        using var response = await _http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadAsByteArrayAsync();
        // A refusal (rate limit, RBAC, circuit) is a fast JSON-RPC error that never reaches the backend: measuring
        // it would flatter the gateway, so anything but a result counts as an error.
        if (body.AsSpan().IndexOf("\"result\""u8) < 0)
        {
            throw new HttpRequestException("not a result: " + System.Text.Encoding.UTF8.GetString(body));
        }
    }

    public void Dispose() => _http.Dispose();

    private static HttpRequestMessage Build(Uri url, byte[] body, string? session)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        // JSON only: the gateway then answers tools/call as one JSON body, like the backend.
        request.Headers.Accept.Add(new System.Net.Http.Headers.MediaTypeWithQualityHeaderValue("application/json"));
        if (session is not null)
        {
            request.Headers.Add("Mcp-Session-Id", session);
        }

        return request;
    }
}

/// <summary>Wake-up lateness in microseconds; <paramref name="OverHalfMillisecondPerThousand"/>: wake-ups more than 0.5 ms late per 1,000.</summary>
internal sealed record WakeUpLateness(double P50, double P99, double Max, double OverHalfMillisecondPerThousand);

internal static class LoadGenerator
{
    /// <summary>Latencies are recorded in microseconds, from 1 µs to a minute, to three significant digits.</summary>
    private const long HighestMicroseconds = 60_000_000;

    public static async Task WarmUpAsync(McpTarget target, TimeSpan duration)
    {
        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var workers = Enumerable.Range(0, 8).Select(async _ =>
        {
            while (Stopwatch.GetTimestamp() < end)
            {
                await target.CallAsync();
            }
        });
        await Task.WhenAll(workers);
    }

    /// <summary>
    /// Open model: call i is scheduled at start + i/rate whatever the earlier calls do, and its latency counts from
    /// that scheduled time, so a stall shows in every call it delayed (corrected for coordinated omission). A
    /// dedicated thread sleeps until each call is due (<see cref="PreciseSchedule"/>) and starts it there, so calls
    /// leave on time, one by one. Latencies go into an HdrHistogram after the run (none is recorded concurrently).
    /// </summary>
    public static async Task<(LongHistogram Latency, int Errors, double Seconds)> FixedRateAsync(McpTarget target, int rate, TimeSpan duration)
    {
        var total = Math.Max(1, (int)(rate * duration.TotalSeconds));
        var latencies = new long[total];
        var errors = 0;
        var calls = new Task[total];
        var ticksPerCall = Stopwatch.Frequency / (double)rate;

        async Task CallAsync(int index, long scheduled)
        {
            try
            {
                await target.CallAsync();
            }
            catch (HttpRequestException)
            {
                Interlocked.Increment(ref errors);
            }

            latencies[index] = (Stopwatch.GetTimestamp() - scheduled) * 1_000_000 / Stopwatch.Frequency;
        }

        var begin = Stopwatch.GetTimestamp();
        var pacer = new Thread(() =>
        {
            PreciseSchedule.UseFineTimerSlack();
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < total; i++)
            {
                var scheduled = start + (long)(i * ticksPerCall);
                PreciseSchedule.SleepUntil(scheduled);
                // Started here, not queued to the pool: the request is written before this thread sleeps again.
                calls[i] = CallAsync(i, scheduled);
            }
        })
        { IsBackground = true, Name = "fixed-rate pacer" };
        pacer.Start();
        await Task.Run(pacer.Join);
        await Task.WhenAll(calls);
        var seconds = Stopwatch.GetElapsedTime(begin).TotalSeconds;
        var histogram = new LongHistogram(HighestMicroseconds, 3);
        foreach (var latency in latencies)
        {
            histogram.RecordValue(Math.Clamp(latency, 1, HighestMicroseconds));
        }

        return (histogram, errors, seconds);
    }

    /// <summary>
    /// How late this machine wakes a thread that sleeps until deadlines one millisecond apart, while the gateway and
    /// the backend sit idle (microseconds). Every hop of a call waits for such a wake-up, so this is the floor under the
    /// tail of any latency measured here: on a VM whose vCPUs the host deschedules, it is far from zero.
    /// </summary>
    public static WakeUpLateness MeasureWakeUpLateness(TimeSpan duration)
    {
        var total = (int)duration.TotalMilliseconds;
        var lateness = new double[total];
        var probe = new Thread(() =>
        {
            PreciseSchedule.UseFineTimerSlack();
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < total; i++)
            {
                var due = start + (long)(i * Stopwatch.Frequency / 1000.0);
                PreciseSchedule.SleepUntil(due);
                lateness[i] = (Stopwatch.GetTimestamp() - due) * 1_000_000.0 / Stopwatch.Frequency;
            }
        })
        { IsBackground = true, Name = "wake-up probe" };
        probe.Start();
        probe.Join();
        Array.Sort(lateness);
        return new WakeUpLateness(lateness[total / 2], lateness[(int)(0.99 * total)], lateness[^1],
            lateness.Count(l => l > 500) * 1000.0 / total);
    }
}
