using System.Collections.Frozen;
using Gateway.Contracts.Configuration;
using Microsoft.Extensions.Options;

namespace Gateway.Proxy.Llm.Providers;

/// <summary>
/// The configured providers with a connection pool each. A provider whose connection settings did not change keeps
/// its pool across configuration reloads; a replaced pool is left to finish its requests and be collected.
/// </summary>
public sealed class ProviderDirectory : IDisposable
{
    private readonly IConfiguration _configuration;
    private readonly IDisposable? _subscription;
    private volatile FrozenDictionary<string, ProviderEndpoint> _providers;

    public ProviderDirectory(IOptionsMonitor<GatewayOptions> options, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(options);
        _configuration = configuration;
        _providers = Index(options.CurrentValue, FrozenDictionary<string, ProviderEndpoint>.Empty);
        _subscription = options.OnChange(o => _providers = Index(o, _providers));
    }

    public ProviderEndpoint? Find(string name) => _providers.TryGetValue(name, out var provider) ? provider : null;

    public void Dispose()
    {
        _subscription?.Dispose();
        foreach (var provider in _providers.Values)
        {
            provider.Client.Dispose();
        }
    }

    private FrozenDictionary<string, ProviderEndpoint> Index(GatewayOptions options, FrozenDictionary<string, ProviderEndpoint> previous) =>
        options.Providers
            .Where(p => p.BaseUrl is not null)
            .GroupBy(p => p.Name, StringComparer.Ordinal)
            .Select(g => g.First())
            .ToFrozenDictionary(
                p => p.Name,
                p => previous.TryGetValue(p.Name, out var kept) && kept.SharesConnectionsWith(p)
                    ? new ProviderEndpoint(p, kept.Client, _configuration)
                    : new ProviderEndpoint(p, NewClient(p), _configuration),
                StringComparer.Ordinal);

    private static HttpMessageInvoker NewClient(ProviderOptions provider) => new(new SocketsHttpHandler
    {
        ConnectTimeout = provider.ConnectTimeout,
        // A provider behind DNS-based failover must be re-resolved now and then.
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        AllowAutoRedirect = false,
        UseCookies = false,
        AutomaticDecompression = System.Net.DecompressionMethods.None,
    });
}

/// <summary>One provider: its settings, its connection pool, and its credential.</summary>
public sealed class ProviderEndpoint(ProviderOptions options, HttpMessageInvoker client, IConfiguration configuration)
{
    private readonly string _baseUrl = options.BaseUrl!.AbsoluteUri.TrimEnd('/') + "/";

    public ProviderOptions Options { get; } = options;

    public string Name => Options.Name;

    /// <summary>Sends requests without buffering answers: an answer's stream is read as it arrives.</summary>
    public HttpMessageInvoker Client { get; } = client;

    /// <summary>The provider's API key, read at each request so a rotated secret applies at once; never logged or returned.</summary>
    public string? ApiKey => Options.ApiKeySetting is { Length: > 0 } setting ? configuration[setting] : null;

    /// <summary>The absolute URL of <paramref name="path"/> below the base URL.</summary>
    public Uri UrlFor(string path) => new(_baseUrl + path, UriKind.Absolute);

    internal bool SharesConnectionsWith(ProviderOptions other) =>
        other.BaseUrl == Options.BaseUrl && other.ConnectTimeout == Options.ConnectTimeout;
}
