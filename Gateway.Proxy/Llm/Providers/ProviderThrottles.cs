using System.Collections.Concurrent;
using Gateway.Contracts.Messages;
using MassTransit;

namespace Gateway.Proxy.Llm.Providers;

/// <summary>
/// Providers out of rotation after a 429 with <c>Retry-After</c>, until the time they gave. Shared with every replica
/// through the bus when there is one (a <see cref="ProviderThrottled"/> per 429, on each replica's own queue).
/// </summary>
public sealed partial class ProviderThrottles(TimeProvider time, ILogger<ProviderThrottles> logger, IBus? bus = null)
{
    /// <summary>Longest hold honoured, whatever the provider asks: a misbehaving provider must not vanish for a day.</summary>
    public static readonly TimeSpan MaxHold = TimeSpan.FromMinutes(10);

    private static readonly TimeSpan PublishTimeout = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<string, DateTimeOffset> _until = new(StringComparer.Ordinal);

    /// <summary>When <paramref name="provider"/> may be tried again, or null when it may be now.</summary>
    public DateTimeOffset? HeldUntil(string provider) =>
        _until.TryGetValue(provider, out var until) && until > time.GetUtcNow() ? until : null;

    /// <summary>Holds <paramref name="provider"/> for <paramref name="retryAfter"/> here and, in the background, on every replica.</summary>
    public void Hold(string provider, TimeSpan retryAfter, string source)
    {
        var until = time.GetUtcNow() + (retryAfter > MaxHold ? MaxHold : retryAfter);
        Apply(new ProviderThrottled(provider, until, source));
        if (bus is not null)
        {
            _ = PublishAsync(bus, new ProviderThrottled(provider, until, source));
        }
    }

    /// <summary>Applies a hold seen by any replica; a later hold never shortens an earlier, longer one.</summary>
    public void Apply(ProviderThrottled throttled)
    {
        ArgumentNullException.ThrowIfNull(throttled);
        _until.AddOrUpdate(throttled.Provider, throttled.Until, (_, current) => current > throttled.Until ? current : throttled.Until);
    }

    private async Task PublishAsync(IBus bus, ProviderThrottled throttled)
    {
        try
        {
            using var timeout = new CancellationTokenSource(PublishTimeout, time);
            await bus.Publish(throttled, timeout.Token);
        }
        catch (Exception ex)
        {
            // The other replicas learn from their own 429s instead; this one holds the provider already.
            LogPublishFailed(logger, ex, throttled.Provider);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not tell the other replicas that provider '{Provider}' is throttled.")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception, string provider);
}

/// <summary>Applies another replica's (or this one's) provider hold; consumed on a queue of this replica's own.</summary>
public sealed class ProviderThrottledConsumer(ProviderThrottles throttles) : IConsumer<ProviderThrottled>
{
    public Task Consume(ConsumeContext<ProviderThrottled> context)
    {
        ArgumentNullException.ThrowIfNull(context);
        throttles.Apply(context.Message);
        return Task.CompletedTask;
    }
}
