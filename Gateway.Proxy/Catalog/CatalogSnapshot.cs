using System.Collections.Frozen;
using System.Collections.Immutable;
using Gateway.Proxy.Pipeline;

namespace Gateway.Proxy.Catalog;

/// <summary>One item of the merged catalog: the name clients see, its owner and its name there, and its JSON as listed.</summary>
/// <param name="Name">Visible tool or prompt name; the URI (or URI template) for resources.</param>
/// <param name="Backend">Owning backend.</param>
/// <param name="OriginalName">The name (or URI) at the backend.</param>
/// <param name="Json">The item as clients see it (renamed when prefixed), every other field as the backend sent it.</param>
internal sealed record CatalogEntry(string Name, string Backend, string OriginalName, byte[] Json)
{
    /// <summary>The name it would have without collisions (bare, or with its backend's prefix); differs from <see cref="Name"/> after one.</summary>
    public string Wanted { get; init; } = OriginalName;
}

/// <summary>What one backend listed at its last successful refresh.</summary>
internal sealed record BackendCatalog(
    string Backend,
    ImmutableArray<CatalogEntry> Tools,
    ImmutableArray<CatalogEntry> Prompts,
    ImmutableArray<CatalogEntry> Resources,
    ImmutableArray<CatalogEntry> Templates);

/// <summary>
/// The merged, renamed catalog of every configured backend with its routing tables. Immutable: a request reads one
/// snapshot, and the catalog swaps in a new one when a backend's lists or the configuration change, so what a list
/// shows and what a call finds always agree.
/// </summary>
internal sealed class CatalogSnapshot
{
    private readonly FrozenDictionary<string, CatalogEntry> _tools;
    private readonly FrozenDictionary<string, CatalogEntry> _prompts;
    private readonly FrozenDictionary<string, CatalogEntry> _resources;

    public CatalogSnapshot(ImmutableArray<CatalogEntry> tools, ImmutableArray<CatalogEntry> prompts,
        ImmutableArray<CatalogEntry> resources, ImmutableArray<CatalogEntry> templates, ImmutableArray<CatalogCollision> collisions)
    {
        Collisions = collisions;
        Tools = tools;
        Prompts = prompts;
        Resources = resources;
        Templates = templates;
        _tools = Index(tools);
        _prompts = Index(prompts);
        _resources = Index(resources);
    }

    public static CatalogSnapshot Empty { get; } = new([], [], [], [], []);

    public ImmutableArray<CatalogEntry> Tools { get; }

    public ImmutableArray<CatalogEntry> Prompts { get; }

    public ImmutableArray<CatalogEntry> Resources { get; }

    public ImmutableArray<CatalogEntry> Templates { get; }

    /// <summary>Items shown under another name than the one they wanted, because another backend shows that name.</summary>
    public ImmutableArray<CatalogCollision> Collisions { get; }

    public ImmutableArray<CatalogEntry> List(CatalogList list) => list switch
    {
        CatalogList.Tools => Tools,
        CatalogList.Prompts => Prompts,
        CatalogList.Resources => Resources,
        _ => Templates,
    };

    public CatalogEntry? FindTool(string name) => _tools.GetValueOrDefault(name);

    public CatalogEntry? FindPrompt(string name) => _prompts.GetValueOrDefault(name);

    /// <summary>
    /// The backend serving <paramref name="uri"/> (as clients see it), with the URI to send it in
    /// <see cref="CatalogEntry.OriginalName"/>: a listed resource; else a <c>gateway:{backend}:{uri}</c> URI (the form
    /// the gateway gives URIs several backends list), routed to that backend with its own URI; else the template
    /// whose literal prefix (the part before its first <c>{</c>) is the longest match, first backend by name on a tie.
    /// </summary>
    public CatalogEntry? FindResource(string uri)
    {
        if (_resources.TryGetValue(uri, out var entry))
        {
            return entry;
        }

        if (CatalogNaming.TryParseResourceUri(uri, out var backend, out var original))
        {
            return new CatalogEntry(uri, backend, original, []);
        }

        CatalogEntry? best = null;
        var bestLength = -1;
        foreach (var template in Templates)
        {
            var brace = template.Name.IndexOf('{', StringComparison.Ordinal);
            var prefix = brace < 0 ? template.Name : template.Name[..brace];
            if (prefix.Length > bestLength && uri.StartsWith(prefix, StringComparison.Ordinal))
            {
                best = template;
                bestLength = prefix.Length;
            }
        }

        return best is null ? null : best with { Name = uri, OriginalName = uri };
    }

    public static CatalogItemKind KindOf(CatalogList list) => list switch
    {
        CatalogList.Tools => CatalogItemKind.Tool,
        CatalogList.Prompts => CatalogItemKind.Prompt,
        _ => CatalogItemKind.Resource,
    };

    private static FrozenDictionary<string, CatalogEntry> Index(ImmutableArray<CatalogEntry> entries)
    {
        var index = new Dictionary<string, CatalogEntry>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            index.TryAdd(entry.Name, entry);
        }

        return index.ToFrozenDictionary(StringComparer.Ordinal);
    }
}

/// <summary>The four merged lists.</summary>
internal enum CatalogList
{
    Tools,
    Prompts,
    Resources,
    Templates,
}
