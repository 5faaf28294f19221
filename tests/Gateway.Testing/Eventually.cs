namespace Gateway.Testing;

/// <summary>
/// Waits for a condition of a distributed system that becomes true on its own time (an event stored, a state fanned
/// out). The bound only turns a hang into a failure; no test asserts how long it took.
/// </summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultBound = TimeSpan.FromMinutes(2);

    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);

    /// <summary>Polls until <paramref name="probe"/> returns a value; a probe that throws is tried again.</summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T?>> probe, TimeSpan? bound = null, string? what = null)
    {
        using var limit = new CancellationTokenSource(bound ?? DefaultBound);
        Exception? last = null;
        while (true)
        {
            try
            {
                if (await probe() is { } value)
                {
                    return value;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException && !limit.IsCancellationRequested)
            {
                last = ex;
            }

            try
            {
                await Task.Delay(Poll, limit.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Not reached within {bound ?? DefaultBound}: {what ?? "condition"}", last);
            }
        }
    }

    /// <summary>Polls until <paramref name="condition"/> holds.</summary>
    public static Task TrueAsync(Func<Task<bool>> condition, TimeSpan? bound = null, string? what = null) =>
        ValueAsync<object>(async () => await condition() ? true : null, bound, what);
}
