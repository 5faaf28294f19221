using System.Collections.Concurrent;
using System.Text.Json;
using Gateway.Contracts.Configuration;
using Gateway.Authentication.Upstream;
using Gateway.Proxy.Mcp;
using Microsoft.Extensions.Options;

namespace Gateway.Proxy.Backends;

/// <summary>
/// Hands out backend sessions: one per client session and backend, or one shared by everyone when the backend is
/// <see cref="BackendOptions.Stateless"/> (also used by the catalog and by stateless-protocol requests). HTTP
/// backends share one pooled <see cref="SocketsHttpHandler"/> each, behind the backend's own credential
/// (<see cref="CredentialHandler"/>).
/// </summary>
internal sealed class BackendConnections(
    IOptionsMonitor<GatewayOptions> options,
    IOptionsMonitor<McpOptions> mcp,
    ChildProcessLauncher launcher,
    BackendEvents events,
    TimeProvider time,
    UpstreamCredentials credentials,
    ILoggerFactory loggers) : IAsyncDisposable
{
    private static readonly JsonElement s_sharedCapabilities = JsonDocument.Parse("""{"sampling":{},"elicitation":{}}""").RootElement.Clone();
    private readonly ConcurrentDictionary<string, Lazy<BackendConnection>> _shared = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, HttpClient> _clients = new(StringComparer.Ordinal);
    private readonly ILogger _logger = loggers.CreateLogger("Gateway.Proxy.Backends");

    public BackendOptions? Find(string backend)
    {
        foreach (var candidate in options.CurrentValue.Backends)
        {
            if (string.Equals(candidate.Name, backend, StringComparison.Ordinal))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Every configured backend.</summary>
    public IReadOnlyList<BackendOptions> All() => options.CurrentValue.Backends;

    /// <summary>The backend session to use for a call: the client session's own, or the shared one.</summary>
    public BackendConnection For(McpSession? session, BackendOptions backend)
    {
        if (session is null || backend.Stateless)
        {
            return Shared(backend);
        }

        return session.GetOrAddConnection(backend.Name, _ => Create(backend, session.DefaultTarget, session.ClientCapabilities));
    }

    /// <summary>
    /// The backend session shared by the catalog, stateless backends and stateless requests. It declares sampling and
    /// elicitation so that backends list the tools needing them, which client sessions that support them can call.
    /// </summary>
    public BackendConnection Shared(BackendOptions backend) =>
        _shared.GetOrAdd(backend.Name, _ => new Lazy<BackendConnection>(() => Create(backend, null, s_sharedCapabilities))).Value;

    /// <summary>
    /// A backend session of its own whose unsolicited messages go to <paramref name="owner"/> (a 2026-07-28
    /// subscription stream); the caller disposes it.
    /// </summary>
    public BackendConnection Dedicated(BackendOptions backend, RelayTarget owner) => Create(backend, owner, default);

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _shared.Values)
        {
            if (connection.IsValueCreated)
            {
                await connection.Value.DisposeAsync();
            }
        }

        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }
    }

    private BackendConnection Create(BackendOptions backend, RelayTarget? owner, JsonElement capabilities) => backend.Transport switch
    {
        BackendTransport.Stdio => new StdioBackendConnection(backend, owner, capabilities, time, events, _logger, mcp.CurrentValue.MaxBackendLineBytes, launcher),
        _ => new HttpBackendConnection(backend, owner, capabilities, HttpClientFor(backend.Name), time, events, _logger),
    };

    private HttpClient HttpClientFor(string backend) => _clients.GetOrAdd(backend, _ => new HttpClient(new CredentialHandler(backend, credentials, new SocketsHttpHandler
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        ConnectTimeout = TimeSpan.FromSeconds(5),
        MaxConnectionsPerServer = 256,
        // One handler serves every client of the backend: a shared cookie jar would hand one client's cookies to
        // the next (and costs a lookup per call).
        UseCookies = false,
    }))
    {
        // Per-call timeouts come from BackendOptions.Timeout; GET streams stay open indefinitely.
        Timeout = Timeout.InfiniteTimeSpan,
    });
}
