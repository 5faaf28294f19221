using System.Collections.Immutable;
using System.Text.Json;
using Gateway.Contracts.Configuration;
using Gateway.Proxy.JsonRpc;

namespace Gateway.Proxy.Catalog;

/// <summary>
/// Builds the next catalog snapshot from what each backend listed, the configured backends and the snapshot in use:
/// only configured backends' items are in it (a removed backend's leave with the configuration that removed it), and
/// names are assigned by <see cref="CatalogNaming"/> so that no shown name changes owner.
/// </summary>
internal static class CatalogMerge
{
    public static CatalogSnapshot Build(IEnumerable<BackendCatalog> catalogs, IReadOnlyList<BackendOptions> backends, CatalogSnapshot previous)
    {
        var rules = new Dictionary<string, NamingRule>(StringComparer.Ordinal);
        for (var i = 0; i < backends.Count; i++)
        {
            var backend = backends[i];
            var prefix = backend.Prefix is { Length: > 0 } own ? own
                : backend.Naming == BackendNaming.Prefixed ? backend.Name
                : null;
            rules.TryAdd(backend.Name, new NamingRule(i, prefix));
        }

        var configured = catalogs.Where(c => rules.ContainsKey(c.Backend)).OrderBy(c => rules[c.Backend].Rank).ToArray();
        var collisions = ImmutableArray.CreateBuilder<CatalogCollision>();
        return new CatalogSnapshot(
            Name(CatalogList.Tools, configured.SelectMany(c => c.Tools), rules, previous, collisions),
            Name(CatalogList.Prompts, configured.SelectMany(c => c.Prompts), rules, previous, collisions),
            Name(CatalogList.Resources, configured.SelectMany(c => c.Resources).DistinctBy(e => (e.Backend, e.OriginalName)), rules, previous, collisions),
            Name(CatalogList.Templates, configured.SelectMany(c => c.Templates).DistinctBy(e => (e.Backend, e.OriginalName)), rules, previous, collisions),
            collisions.ToImmutable());
    }

    private static ImmutableArray<CatalogEntry> Name(CatalogList list, IEnumerable<CatalogEntry> listed, Dictionary<string, NamingRule> rules,
        CatalogSnapshot previous, ImmutableArray<CatalogCollision>.Builder collisions)
    {
        var entries = listed.ToArray();
        var had = new Dictionary<(string, string), AssignedName>();
        foreach (var entry in previous.List(list))
        {
            had.TryAdd((entry.Backend, entry.OriginalName), new AssignedName(entry.Wanted, entry.Name));
        }

        var items = entries.Select(e => (e.Backend, e.OriginalName)).ToArray();
        var names = list is CatalogList.Tools or CatalogList.Prompts
            ? CatalogNaming.AssignNames(items, rules, had)
            : CatalogNaming.AssignUris(items, rules, had);
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < entries.Length; i++)
        {
            owners.TryAdd(names[i].Shown, entries[i].Backend);
        }

        var property = list switch
        {
            CatalogList.Resources => "uri",
            CatalogList.Templates => "uriTemplate",
            _ => "name",
        };
        var named = ImmutableArray.CreateBuilder<CatalogEntry>(entries.Length);
        for (var i = 0; i < entries.Length; i++)
        {
            var (entry, name) = (entries[i], names[i]);
            if (name.Shown != name.Wanted)
            {
                collisions.Add(new CatalogCollision(list, entry.Backend, entry.OriginalName, name.Wanted, name.Shown, owners.GetValueOrDefault(name.Wanted)));
            }

            named.Add(name.Shown == entry.Name
                ? entry with { Wanted = name.Wanted }
                : entry with { Name = name.Shown, Wanted = name.Wanted, Json = Rename(entry.Json, property, name.Shown) });
        }

        return named.MoveToImmutable();
    }

    private static byte[] Rename(byte[] json, string property, string name)
    {
        using var document = JsonDocument.Parse(json);
        return JsonRpcWriter.WithProperty(document.RootElement, property, name);
    }
}

/// <summary>
/// An item shown under another name than the one it wanted, because <paramref name="Owner"/> shows that name (or
/// showed it first: null when the owner has since stopped listing it, the item keeping its name for stability).
/// </summary>
/// <param name="List">Which list.</param>
/// <param name="Backend">The backend whose item was renamed.</param>
/// <param name="Name">Its name (or URI) at the backend.</param>
/// <param name="Wanted">The name it would have had: bare, or with its backend's prefix.</param>
/// <param name="Shown">The name clients see.</param>
/// <param name="Owner">The backend showing <paramref name="Wanted"/>.</param>
internal sealed record CatalogCollision(CatalogList List, string Backend, string Name, string Wanted, string Shown, string? Owner)
{
    public string Describe() => Owner is null
        ? $"{Kind} '{Name}' of backend '{Backend}' is shown as '{Shown}' ('{Wanted}' was taken when it was first listed)"
        : $"{Kind} '{Name}' of backend '{Backend}' is shown as '{Shown}': '{Wanted}' belongs to backend '{Owner}'";

    private string Kind => List switch
    {
        CatalogList.Tools => "tool",
        CatalogList.Prompts => "prompt",
        CatalogList.Resources => "resource",
        _ => "resource template",
    };
}
