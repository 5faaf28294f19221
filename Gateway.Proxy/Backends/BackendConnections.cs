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
internal sealed class BackendConnections : IAsyncDisposable
{
    private static readonly JsonElement s_sharedCapabilities = JsonDocument.Parse("""{"sampling":{},"elicitation":{}}""").RootElement.Clone();
    private readonly ConcurrentDictionary<string, Lazy<BackendConnection>> _shared = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, HttpClient> _clients = new(StringComparer.Ordinal);
    private readonly IOptionsMonitor<GatewayOptions> _options;
    private readonly IOptionsMonitor<McpOptions> _mcp;
    private readonly ChildProcessLauncher _launcher;
    private readonly BackendEvents _events;
    private readonly TimeProvider _time;
    private readonly UpstreamCredentials _credentials;
    private readonly ILogger _logger;
    private readonly IDisposable? _subscription;

    public BackendConnections(IOptionsMonitor<GatewayOptions> options, IOptionsMonitor<McpOptions> mcp, ChildProcessLauncher launcher,
        BackendEvents events, TimeProvider time, UpstreamCredentials credentials, ILoggerFactory loggers)
    {
        _options = options;
        _mcp = mcp;
        _launcher = launcher;
        _events = events;
        _time = time;
        _credentials = credentials;
        _logger = loggers.CreateLogger("Gateway.Proxy.Backends");
        _subscription = options.OnChange(Forget);
    }

    public BackendOptions? Find(string backend)
    {
        foreach (var candidate in _options.CurrentValue.Backends)
        {
            if (string.Equals(candidate.Name, backend, StringComparison.Ordinal))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Every configured backend.</summary>
    public IReadOnlyList<BackendOptions> All() => _options.CurrentValue.Backends;

    /// <summary>The backend session to use for a call: the client session's own, or the shared one.</summary>
    public BackendConnection For(McpSession? session, BackendOptions backend)
    {
        if (session is null || backend.Stateless)
        {
            return Shared(backend);
        }

        var connection = session.GetOrAddConnection(backend.Name, _ => Create(backend, session.DefaultTarget, session.ClientCapabilities));
        if (!IsOutdated(connection, backend))
        {
            return connection;
        }

        // The backend was reconfigured (another URL, command, credential): the session continues on a new backend session.
        var fresh = Create(backend, session.DefaultTarget, session.ClientCapabilities);
        if (session.TryReplaceConnection(backend.Name, connection, fresh))
        {
            _ = connection.DisposeAsync().AsTask();
            return fresh;
        }

        _ = fresh.DisposeAsync().AsTask();
        return session.GetOrAddConnection(backend.Name, _ => Create(backend, session.DefaultTarget, session.ClientCapabilities));
    }

    /// <summary>
    /// The backend session shared by the catalog, stateless backends and stateless requests. It declares sampling and
    /// elicitation so that backends list the tools needing them, which client sessions that support them can call.
    /// A reconfigured backend gets a new one.
    /// </summary>
    public BackendConnection Shared(BackendOptions backend)
    {
        var lazy = _shared.GetOrAdd(backend.Name, _ => new Lazy<BackendConnection>(() => Create(backend, null, s_sharedCapabilities)));
        if (!IsOutdated(lazy.Value, backend))
        {
            return lazy.Value;
        }

        var fresh = new Lazy<BackendConnection>(() => Create(backend, null, s_sharedCapabilities));
        if (_shared.TryUpdate(backend.Name, fresh, lazy))
        {
            _ = lazy.Value.DisposeAsync().AsTask();
        }

        return _shared[backend.Name].Value;
    }

    /// <summary>Closes the shared sessions of backends the configuration no longer has (a stdio backend's process ends).</summary>
    private void Forget(GatewayOptions current)
    {
        foreach (var (name, lazy) in _shared)
        {
            if (!current.Backends.Any(b => string.Equals(b.Name, name, StringComparison.Ordinal)) && _shared.TryRemove(name, out _) && lazy.IsValueCreated)
            {
                _ = lazy.Value.DisposeAsync().AsTask();
            }
        }
    }

    /// <summary>
    /// Whether <paramref name="connection"/> was made for settings the backend no longer has. Only the configured
    /// object decides: a call still holding the previous settings must not swap the old session back in.
    /// </summary>
    private bool IsOutdated(BackendConnection connection, BackendOptions backend) =>
        !ReferenceEquals(connection.Options, backend)
        && ReferenceEquals(Find(backend.Name), backend)
        && !BackendSettings.Same(connection.Options, backend);

    public async ValueTask DisposeAsync()
    {
        _subscription?.Dispose();
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
        BackendTransport.Stdio => new StdioBackendConnection(backend, owner, capabilities, _time, _events, _logger, _mcp.CurrentValue.MaxBackendLineBytes, _launcher),
        _ => new HttpBackendConnection(backend, owner, capabilities, HttpClientFor(backend.Name), _time, _events, _logger),
    };

    private HttpClient HttpClientFor(string backend) => _clients.GetOrAdd(backend, _ => new HttpClient(new CredentialHandler(backend, _credentials, new SocketsHttpHandler
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
