using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Threading.Channels;
using Gateway.Contracts.Configuration;
using Gateway.Proxy.Backends;
using Gateway.Proxy.JsonRpc;
using Gateway.Proxy.Mcp;
using Microsoft.Extensions.Options;

namespace Gateway.Proxy.Catalog;

/// <summary>
/// Keeps the merged catalog: reads every backend's lists through a shared backend session at start, on the backend's
/// <c>list_changed</c>, every <see cref="McpOptions.CatalogRefreshInterval"/>, and at once for a backend the
/// configuration adds or changes. A configuration change swaps in a snapshot without the removed backends before
/// anything else sees it. Tells connected clients when a merged list changed. A backend that cannot be read keeps its
/// last known items.
/// </summary>
internal sealed partial class CatalogService : BackgroundService
{
    private static readonly TimeSpan StaleRetry = TimeSpan.FromSeconds(5);
    private readonly BackendConnections _connections;
    private readonly McpSessionStore _sessions;
    private readonly IOptionsMonitor<GatewayOptions> _gateway;
    private readonly IOptionsMonitor<McpOptions> _mcp;
    private readonly CatalogCollisionReporter _collisions;
    private readonly TimeProvider _time;
    private readonly ILogger<CatalogService> _logger;
    private readonly ConcurrentDictionary<string, BackendCatalog> _catalogs = new(StringComparer.Ordinal);
    private readonly Channel<string> _changed = Channel.CreateUnbounded<string>();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<string, byte> _stale = new(StringComparer.Ordinal);
    private readonly Lock _rebuildLock = new();
    private readonly IDisposable? _subscription;
    private ImmutableArray<BackendOptions> _configured;
    private volatile CatalogSnapshot _current = CatalogSnapshot.Empty;

    public CatalogService(BackendConnections connections, BackendEvents events, McpSessionStore sessions, IOptionsMonitor<GatewayOptions> gateway,
        IOptionsMonitor<McpOptions> mcp, CatalogCollisionReporter collisions, TimeProvider time, ILogger<CatalogService> logger)
    {
        _connections = connections;
        _sessions = sessions;
        _gateway = gateway;
        _mcp = mcp;
        _collisions = collisions;
        _time = time;
        _logger = logger;
        _configured = [.. gateway.CurrentValue.Backends];
        events.ListChanged += backend => _changed.Writer.TryWrite(backend);
        _subscription = gateway.OnChange(OnConfigurationChanged);
    }

    /// <summary>The snapshot to answer one request from: read it once per request.</summary>
    public CatalogSnapshot Current => _current;

    /// <summary>Completes once every backend was tried once, so the first <c>tools/list</c> is not empty by accident.</summary>
    public Task WhenReadyAsync(CancellationToken cancellationToken) => _ready.Task.WaitAsync(cancellationToken);

    public async Task RefreshAllAsync(CancellationToken cancellationToken)
    {
        await Task.WhenAll(_gateway.CurrentValue.Backends.Select(b => RefreshAsync(b, cancellationToken)));
        Rebuild();
    }

    /// <summary>Whether some backend's last read failed, so a name missing from the catalog may just be unread.</summary>
    public bool HasStale => !_stale.IsEmpty;

    /// <summary>Reads again the backends whose last read failed.</summary>
    public async Task RefreshStaleAsync(CancellationToken cancellationToken)
    {
        var stale = _gateway.CurrentValue.Backends.Where(b => _stale.ContainsKey(b.Name)).ToArray();
        await Task.WhenAll(stale.Select(b => RefreshAsync(b, cancellationToken)));
        Rebuild();
    }

    public override void Dispose()
    {
        _subscription?.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await RefreshAllAsync(stoppingToken);
            _ready.TrySetResult();
            while (!stoppingToken.IsCancellationRequested)
            {
                var changed = await WaitForChangeAsync(stoppingToken);
                if (changed is null)
                {
                    await RefreshAllAsync(stoppingToken);
                    continue;
                }

                var backends = changed.Select(_connections.Find).OfType<BackendOptions>().ToArray();
                await Task.WhenAll(backends.Select(b => RefreshAsync(b, stoppingToken)));
                Rebuild();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            _ready.TrySetCanceled(stoppingToken);
        }
    }

    /// <summary>
    /// On the reload's thread, before the new configuration reaches a request through this catalog: the removed
    /// backends' items leave the snapshot, naming follows the new rules, and the added or changed backends are queued
    /// for an immediate read (their items appear once they answered).
    /// </summary>
    private void OnConfigurationChanged(GatewayOptions options)
    {
        ImmutableArray<BackendOptions> previous;
        lock (_rebuildLock)
        {
            previous = _configured;
            _configured = [.. options.Backends];
        }

        foreach (var name in _catalogs.Keys.Concat(_stale.Keys).Distinct(StringComparer.Ordinal).ToArray())
        {
            if (!options.Backends.Any(b => string.Equals(b.Name, name, StringComparison.Ordinal)))
            {
                _catalogs.TryRemove(name, out _);
                _stale.TryRemove(name, out _);
            }
        }

        if (_ready.Task.IsCompletedSuccessfully)
        {
            Rebuild();
        }

        foreach (var backend in options.Backends)
        {
            if (previous.FirstOrDefault(b => string.Equals(b.Name, backend.Name, StringComparison.Ordinal)) is not { } before
                || !BackendSettings.Same(before, backend))
            {
                _changed.Writer.TryWrite(backend.Name);
            }
        }
    }

    /// <summary>The backends to read again, or null when the refresh interval elapsed first (read them all).</summary>
    private async Task<HashSet<string>?> WaitForChangeAsync(CancellationToken cancellationToken)
    {
        if (!_changed.Reader.TryPeek(out _))
        {
            // A backend whose last read failed (down at start, say) is retried sooner than the regular interval.
            var wait = _stale.IsEmpty ? _mcp.CurrentValue.CatalogRefreshInterval : TimeSpan.FromTicks(Math.Min(StaleRetry.Ticks, _mcp.CurrentValue.CatalogRefreshInterval.Ticks));
            using var elapsed = new CancellationTokenSource(wait, _time);
            using var interval = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, elapsed.Token);
            try
            {
                await _changed.Reader.WaitToReadAsync(interval.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return null;
            }
        }

        // Everything queued so far is read in one round, in parallel: a slow backend does not hold up the others' changes.
        var names = new HashSet<string>(StringComparer.Ordinal);
        while (_changed.Reader.TryRead(out var name))
        {
            names.Add(name);
        }

        return names;
    }

    private async Task RefreshAsync(BackendOptions backend, CancellationToken cancellationToken)
    {
        if (_connections.Find(backend.Name) is null)
        {
            // Removed since the read was queued: reading it would open a backend session nothing closes.
            return;
        }

        try
        {
            var catalog = await BackendCatalogReader.ReadAsync(_connections.Shared(backend), cancellationToken);
            // A backend removed while it was being read stays out.
            if (_connections.Find(backend.Name) is not null)
            {
                _catalogs[backend.Name] = catalog;
            }

            _stale.TryRemove(backend.Name, out _);
            LogRefreshed(_logger, backend.Name, catalog.Tools.Length, catalog.Prompts.Length, catalog.Resources.Length, catalog.Templates.Length);
        }
        catch (Exception ex) when (ex is BackendException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            if (_connections.Find(backend.Name) is not null)
            {
                _stale[backend.Name] = 0;
            }

            LogRefreshFailed(_logger, backend.Name, ex.Message);
        }
    }

    private void Rebuild()
    {
        lock (_rebuildLock)
        {
            var previous = _current;
            var next = CatalogMerge.Build(_catalogs.Values, _configured, previous);
            _current = next;
            _collisions.Report(previous.Collisions, next.Collisions, atStart: ReferenceEquals(previous, CatalogSnapshot.Empty));
            if (ReferenceEquals(previous, CatalogSnapshot.Empty))
            {
                // Nobody has seen a list before the first read: lists wait for it.
                return;
            }

            Announce(previous.Tools, next.Tools, McpMethods.ToolsListChanged);
            Announce(previous.Prompts, next.Prompts, McpMethods.PromptsListChanged);
            if (!SameItems(previous.Resources, next.Resources) || !SameItems(previous.Templates, next.Templates))
            {
                _sessions.Broadcast(JsonRpcWriter.Request(null, McpMethods.ResourcesListChanged, default));
            }
        }
    }

    private void Announce(ImmutableArray<CatalogEntry> previous, ImmutableArray<CatalogEntry> next, string method)
    {
        if (!SameItems(previous, next))
        {
            _sessions.Broadcast(JsonRpcWriter.Request(null, method, default));
        }
    }

    private static bool SameItems(ImmutableArray<CatalogEntry> a, ImmutableArray<CatalogEntry> b) =>
        a.Length == b.Length && a.Zip(b).All(p => p.First.Name == p.Second.Name && p.First.Json.AsSpan().SequenceEqual(p.Second.Json));

    [LoggerMessage(Level = LogLevel.Information, Message = "Catalog of {Backend}: {Tools} tools, {Prompts} prompts, {Resources} resources, {Templates} templates")]
    private static partial void LogRefreshed(ILogger logger, string backend, int tools, int prompts, int resources, int templates);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Catalog of {Backend} not refreshed: {Reason}")]
    private static partial void LogRefreshFailed(ILogger logger, string backend, string reason);
}
