namespace Gateway.Messaging;

/// <summary>Retry policy for every consumer of the service. Bound from <c>Gateway:Messaging</c>.</summary>
public sealed class MessagingOptions
{
    /// <summary>Immediate redeliveries in memory before a message goes to the error queue. Default: 3.</summary>
    public int RetryCount { get; set; } = 3;

    /// <summary>First retry interval; later ones grow exponentially up to <see cref="RetryMaxInterval"/>. Default: 200 ms.</summary>
    public TimeSpan RetryMinInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Longest retry interval. Default: 5 s.</summary>
    public TimeSpan RetryMaxInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Messages fetched ahead per consumer. Default: 0 (MassTransit's default).</summary>
    public int PrefetchCount { get; set; }
}
