using System.Collections.Concurrent;

namespace Gateway.FakeProvider.Recording;

/// <summary>
/// What the fake received: the last <see cref="FakeProviderOptions.RecordLimit"/> requests, the count per path and
/// the most requests in flight at once per path (a test of a half-open breaker asserts exactly one probe went out).
/// </summary>
public sealed class RequestRecorder
{
    private readonly Lock _gate = new();
    private readonly Queue<RecordedRequest> _requests = new();
    private readonly ConcurrentDictionary<string, PathGauge> _gauges = new(StringComparer.OrdinalIgnoreCase);
    private readonly int _limit;

    public RequestRecorder(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        _limit = limit;
    }

    /// <summary>A snapshot of the recorded requests, oldest first.</summary>
    public IReadOnlyList<RecordedRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Requests received per path since the last <see cref="Clear"/>.</summary>
    public IReadOnlyDictionary<string, int> Counts => _gauges.ToDictionary(pair => pair.Key, pair => pair.Value.Count, StringComparer.OrdinalIgnoreCase);

    /// <summary>The most requests in flight at once per path since the last <see cref="Clear"/>.</summary>
    public IReadOnlyDictionary<string, int> MaxInFlight => _gauges.ToDictionary(pair => pair.Key, pair => pair.Value.MaxInFlight, StringComparer.OrdinalIgnoreCase);

    /// <summary>Requests received for <paramref name="path"/> since the last <see cref="Clear"/>.</summary>
    public int CountOf(string path) => _gauges.TryGetValue(path, out var gauge) ? gauge.Count : 0;

    /// <summary>The most requests for <paramref name="path"/> in flight at once since the last <see cref="Clear"/>.</summary>
    public int MaxInFlightOf(string path) => _gauges.TryGetValue(path, out var gauge) ? gauge.MaxInFlight : 0;

    /// <summary>Requests for <paramref name="path"/> in flight now.</summary>
    public int InFlightOf(string path) => _gauges.TryGetValue(path, out var gauge) ? gauge.InFlight : 0;

    /// <summary>Forgets the requests, counts and maxima (requests in flight stay counted as in flight).</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _requests.Clear();
        }

        foreach (var gauge in _gauges.Values)
        {
            gauge.Reset();
        }
    }

    /// <summary>Records <paramref name="request"/> and counts it in flight until the returned scope is disposed.</summary>
    internal InFlightScope Begin(RecordedRequest request)
    {
        lock (_gate)
        {
            _requests.Enqueue(request);
            if (_requests.Count > _limit)
            {
                _requests.Dequeue();
            }
        }

        var gauge = _gauges.GetOrAdd(request.Path, static _ => new PathGauge());
        gauge.Enter();
        return new InFlightScope(gauge);
    }

    internal readonly struct InFlightScope(PathGauge gauge) : IDisposable
    {
        public void Dispose() => gauge.Exit();
    }

    internal sealed class PathGauge
    {
        private int _count;
        private int _inFlight;
        private int _maxInFlight;

        public int Count => Volatile.Read(ref _count);

        public int InFlight => Volatile.Read(ref _inFlight);

        public int MaxInFlight => Volatile.Read(ref _maxInFlight);

        public void Enter()
        {
            Interlocked.Increment(ref _count);
            var now = Interlocked.Increment(ref _inFlight);
            var max = Volatile.Read(ref _maxInFlight);
            while (now > max)
            {
                var seen = Interlocked.CompareExchange(ref _maxInFlight, now, max);
                if (seen == max)
                {
                    break;
                }

                max = seen;
            }
        }

        public void Exit() => Interlocked.Decrement(ref _inFlight);

        public void Reset()
        {
            Volatile.Write(ref _count, 0);
            Volatile.Write(ref _maxInFlight, InFlight);
        }
    }
}
