using Gateway.Proxy.JsonRpc;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Text.Json;
using System.Threading.Channels;
using Gateway.Contracts.Configuration;
using Gateway.Proxy.Backends;
using Gateway.Proxy.Mcp;
using Microsoft.Extensions.Options;

namespace Gateway.Proxy.Catalog;

/// <summary>
/// Keeps the merged catalog: reads every backend's tools, prompts, resources and resource templates (following
/// their cursors) through a shared backend session, at start, on the backend's <c>list_changed</c> and every
/// <see cref="McpOptions.CatalogRefreshInterval"/>; tells connected clients when a merged list changed.
/// A backend that cannot be read keeps its last known items.
/// </summary>
internal sealed partial class CatalogService : BackgroundService
{
    private const int MaxPages = 100;
    private static readonly TimeSpan StaleRetry = TimeSpan.FromSeconds(5);
    private readonly BackendConnections _connections;
    private readonly McpSessionStore _sessions;
    private readonly IOptionsMonitor<GatewayOptions> _gateway;
    private readonly IOptionsMonitor<McpOptions> _mcp;
    private readonly TimeProvider _time;
    private readonly ILogger<CatalogService> _logger;
    private readonly ConcurrentDictionary<string, BackendCatalog> _catalogs = new(StringComparer.Ordinal);
    private readonly Channel<string> _changed = Channel.CreateUnbounded<string>();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<string, byte> _stale = new(StringComparer.Ordinal);
    private readonly Lock _rebuildLock = new();
    private volatile CatalogSnapshot _current = CatalogSnapshot.Empty;

    public CatalogService(BackendConnections connections, BackendEvents events, McpSessionStore sessions,
        IOptionsMonitor<GatewayOptions> gateway, IOptionsMonitor<McpOptions> mcp, TimeProvider time, ILogger<CatalogService> logger)
    {
        _connections = connections;
        _sessions = sessions;
        _gateway = gateway;
        _mcp = mcp;
        _time = time;
        _logger = logger;
        events.ListChanged += backend => _changed.Writer.TryWrite(backend);
    }

    public CatalogSnapshot Current => _current;

    /// <summary>A merged list changed: the <c>notifications/*/list_changed</c> method to announce.</summary>
    public event Action<string>? ListChanged;

    /// <summary>Completes once every backend was tried once, so the first <c>tools/list</c> is not empty by accident.</summary>
    public Task WhenReadyAsync(CancellationToken cancellationToken) => _ready.Task.WaitAsync(cancellationToken);

    public async Task RefreshAllAsync(CancellationToken cancellationToken)
    {
        var backends = _gateway.CurrentValue.Backends;
        await Task.WhenAll(backends.Select(b => RefreshAsync(b, cancellationToken)));
        foreach (var name in _catalogs.Keys)
        {
            if (!backends.Any(b => string.Equals(b.Name, name, StringComparison.Ordinal)))
            {
                _catalogs.TryRemove(name, out _);
            }
        }

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
                }
                else if (_connections.Find(changed) is { } backend)
                {
                    await RefreshAsync(backend, stoppingToken);
                    Rebuild();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            _ready.TrySetCanceled(stoppingToken);
        }
    }

    /// <summary>The next backend that said list_changed, or null when the refresh interval elapsed first.</summary>
    private async Task<string?> WaitForChangeAsync(CancellationToken cancellationToken)
    {
        if (_changed.Reader.TryRead(out var backend))
        {
            return backend;
        }

        // A backend whose last read failed (down at start, say) is retried sooner than the regular interval.
        var wait = _stale.IsEmpty ? _mcp.CurrentValue.CatalogRefreshInterval : TimeSpan.FromTicks(Math.Min(StaleRetry.Ticks, _mcp.CurrentValue.CatalogRefreshInterval.Ticks));
        using var elapsed = new CancellationTokenSource(wait, _time);
        using var interval = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, elapsed.Token);
        try
        {
            await _changed.Reader.WaitToReadAsync(interval.Token);
            return _changed.Reader.TryRead(out backend) ? backend : null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    private async Task RefreshAsync(BackendOptions backend, CancellationToken cancellationToken)
    {
        try
        {
            var connection = _connections.Shared(backend);
            var tools = await ListAsync(connection, McpMethods.ToolsList, "tools", "name", cancellationToken);
            var prompts = await ListAsync(connection, McpMethods.PromptsList, "prompts", "name", cancellationToken);
            var resources = await ListAsync(connection, McpMethods.ResourcesList, "resources", "uri", cancellationToken);
            var templates = await ListAsync(connection, McpMethods.ResourceTemplatesList, "resourceTemplates", "uriTemplate", cancellationToken);
            _catalogs[backend.Name] = new BackendCatalog(backend.Name, tools, prompts, resources, templates);
            _stale.TryRemove(backend.Name, out _);
            LogRefreshed(_logger, backend.Name, tools.Length, prompts.Length, resources.Length, templates.Length);
        }
        catch (Exception ex) when (ex is BackendException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            _stale[backend.Name] = 0;
            LogRefreshFailed(_logger, backend.Name, ex.Message);
        }
    }

    private static async Task<ImmutableArray<CatalogEntry>> ListAsync(BackendConnection connection, string method, string arrayName,
        string keyName, CancellationToken cancellationToken)
    {
        var items = ImmutableArray.CreateBuilder<CatalogEntry>();
        string? cursor = null;
        for (var page = 0; page < MaxPages; page++)
        {
            var parameters = cursor is null ? "{}"u8.ToArray() : JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["cursor"] = cursor });
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(connection.Options.Timeout);
            using var response = await connection.RequestAsync(method, parameters, null, timeout.Token);
            if (!response.RootElement.TryGetProperty("result", out var result))
            {
                // An error here means the backend does not offer this kind of item (-32601).
                break;
            }

            if (result.TryGetProperty(arrayName, out var array) && array.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in array.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.Object
                        && item.TryGetProperty(keyName, out var key)
                        && key.GetString() is { Length: > 0 } name)
                    {
                        items.Add(new CatalogEntry(name, connection.Backend, name, JsonSerializer.SerializeToUtf8Bytes(item)));
                    }
                }
            }

            cursor = result.TryGetProperty("nextCursor", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
            if (cursor is null)
            {
                break;
            }
        }

        return items.ToImmutable();
    }

    private void Rebuild()
    {
        lock (_rebuildLock)
        {
            var catalogs = _catalogs.Values.OrderBy(c => c.Backend, StringComparer.Ordinal).ToArray();
            var prefixes = _gateway.CurrentValue.Backends.ToDictionary(b => b.Name, b => b.Prefix, StringComparer.Ordinal);
            var next = new CatalogSnapshot(
                Rename(catalogs.SelectMany(c => c.Tools).ToArray(), prefixes),
                Rename(catalogs.SelectMany(c => c.Prompts).ToArray(), prefixes),
                QualifyCollidingUris(catalogs.SelectMany(c => c.Resources), "uri"),
                QualifyCollidingUris(catalogs.SelectMany(c => c.Templates), "uriTemplate"));
            var previous = _current;
            _current = next;
            if (ReferenceEquals(previous, CatalogSnapshot.Empty))
            {
                // Nobody has seen a list before the first read: lists wait for it.
                return;
            }

            Announce(previous.Tools, next.Tools, McpMethods.ToolsListChanged);
            Announce(previous.Prompts, next.Prompts, McpMethods.PromptsListChanged);
            if (!SameItems(previous.Resources, next.Resources) || !SameItems(previous.Templates, next.Templates))
            {
                Broadcast(McpMethods.ResourcesListChanged);
            }
        }
    }

    private static ImmutableArray<CatalogEntry> Rename(CatalogEntry[] entries, Dictionary<string, string?> prefixes)
    {
        var names = CatalogNaming.Assign(entries.Select(e => (e.Backend, e.OriginalName)).ToArray(), prefixes);
        var renamed = ImmutableArray.CreateBuilder<CatalogEntry>(entries.Length);
        for (var i = 0; i < entries.Length; i++)
        {
            var entry = entries[i];
            renamed.Add(names[i] == entry.OriginalName
                ? entry
                : entry with { Name = names[i], Json = RenameJson(entry.Json, names[i]) });
        }

        return renamed.MoveToImmutable();
    }

    private static byte[] RenameJson(byte[] json, string name)
    {
        using var document = JsonDocument.Parse(json);
        return JsonRpcWriter.WithProperty(document.RootElement, "name", name);
    }

    /// <summary>
    /// A URI (or URI template) listed by one backend is shown as it is. One listed by several backends is shown by
    /// each of them as <c>gateway:{backend}:{uri}</c> (<see cref="CatalogNaming.ResourceUri"/>), like colliding tool
    /// names get the backend's name, so every copy stays reachable and routing never depends on listing order; a
    /// backend listing the same URI twice keeps its first. Depends only on what backends list: replicas agree.
    /// </summary>
    private static ImmutableArray<CatalogEntry> QualifyCollidingUris(IEnumerable<CatalogEntry> entries, string property)
    {
        var unique = entries.DistinctBy(e => (e.Backend, e.Name)).ToArray();
        var owners = unique.CountBy(e => e.Name, StringComparer.Ordinal).ToDictionary(StringComparer.Ordinal);
        return [.. unique.Select(e => owners[e.Name] == 1
            ? e
            : RenameUri(e, CatalogNaming.ResourceUri(e.Backend, e.OriginalName), property))];
    }

    private static CatalogEntry RenameUri(CatalogEntry entry, string uri, string property)
    {
        using var document = JsonDocument.Parse(entry.Json);
        return entry with { Name = uri, Json = JsonRpcWriter.WithProperty(document.RootElement, property, uri) };
    }

    private void Announce(ImmutableArray<CatalogEntry> previous, ImmutableArray<CatalogEntry> next, string method)
    {
        if (!SameItems(previous, next))
        {
            Broadcast(method);
        }
    }

    /// <summary>To every session's stream, and to <see cref="ListChanged"/> (the 2026-07-28 subscriptions).</summary>
    private void Broadcast(string method)
    {
        _sessions.Broadcast(JsonRpcWriter.Request(null, method, default));
        ListChanged?.Invoke(method);
    }

    private static bool SameItems(ImmutableArray<CatalogEntry> a, ImmutableArray<CatalogEntry> b) =>
        a.Length == b.Length && a.Zip(b).All(p => p.First.Name == p.Second.Name && p.First.Json.AsSpan().SequenceEqual(p.Second.Json));

    [LoggerMessage(Level = LogLevel.Information, Message = "Catalog of {Backend}: {Tools} tools, {Prompts} prompts, {Resources} resources, {Templates} templates")]
    private static partial void LogRefreshed(ILogger logger, string backend, int tools, int prompts, int resources, int templates);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Catalog of {Backend} not refreshed: {Reason}")]
    private static partial void LogRefreshFailed(ILogger logger, string backend, string reason);
}
