namespace Gateway.Contracts.Messages;

/// <summary>
/// A provider answered 429 with <c>Retry-After</c>: every proxy replica keeps it out of rotation until
/// <paramref name="Until"/>, so one replica's lesson spares the others the same refusal.
/// </summary>
/// <param name="Provider">The provider's configured name.</param>
/// <param name="Until">When the provider may be tried again.</param>
/// <param name="Source">The replica that saw the 429.</param>
public sealed record ProviderThrottled(string Provider, DateTimeOffset Until, string Source);
