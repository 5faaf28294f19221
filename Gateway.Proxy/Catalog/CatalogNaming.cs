using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Gateway.Proxy.Catalog;

/// <summary>How one backend's items are named: its seniority and, in prefixed mode, its prefix.</summary>
/// <param name="Rank">Position in <c>Gateway:Backends</c>: on a fresh start, the earlier backend keeps a contested name.</param>
/// <param name="Prefix">Prefix of every tool and prompt name (prefixed mode); null for bare names.</param>
internal readonly record struct NamingRule(int Rank, string? Prefix);

/// <summary>The name an item wanted (bare or prefixed) and the name it got: they differ when another item held it.</summary>
internal readonly record struct AssignedName(string Wanted, string Shown);

/// <summary>
/// Names tools, prompts and resources clients see, stably. An item keeps the name it was shown under for as long as its
/// backend lists it (and its naming is not reconfigured), so a backend added later, or a backend that starts listing a
/// name another already shows, never renames anything: the newcomer's copy gets a qualified name
/// (<c>{backend}__{name}</c> for tools and prompts, <c>gateway:{backend}:{uri}</c> for resources). Items no earlier
/// catalog showed are named in configuration order (<see cref="NamingRule.Rank"/>), so replicas that start from the
/// same configuration agree. Built names stay within <c>^[a-zA-Z0-9_-]{1,64}$</c> (other characters become
/// <c>_</c>; too long names are cut and end in a hash).
/// </summary>
internal static partial class CatalogNaming
{
    public const string Separator = "__";
    public const int MaxLength = 64;

    /// <summary>Scheme of the URIs the gateway gives resources (and templates) that several backends list.</summary>
    public const string ResourceScheme = "gateway:";

    /// <summary>
    /// The URI clients see for <paramref name="uri"/> of <paramref name="backend"/> when another backend shows the
    /// same URI: <c>gateway:{backend}:{uri}</c>. A valid URI (scheme <c>gateway</c>, the rest an opaque path, since
    /// backend names are <c>[a-zA-Z0-9_-]</c>), reversible by <see cref="TryParseResourceUri"/>.
    /// </summary>
    public static string ResourceUri(string backend, string uri) => ResourceScheme + backend + ":" + uri;

    /// <summary>Splits <c>gateway:{backend}:{uri}</c> into the backend and its own URI.</summary>
    public static bool TryParseResourceUri(string visible, out string backend, out string uri)
    {
        backend = uri = "";
        if (!visible.StartsWith(ResourceScheme, StringComparison.Ordinal))
        {
            return false;
        }

        var end = visible.IndexOf(':', ResourceScheme.Length);
        if (end <= ResourceScheme.Length || end == visible.Length - 1)
        {
            return false;
        }

        backend = visible[ResourceScheme.Length..end];
        uri = visible[(end + 1)..];
        return true;
    }

    /// <summary>Tool or prompt names for (backend, name) pairs, in input order.</summary>
    /// <param name="items">Each backend's item names, backends in any order.</param>
    /// <param name="rules">Naming per backend; a backend missing here has bare names and the lowest seniority.</param>
    /// <param name="previous">The names the last catalog showed, by (backend, name), with the names they wanted then.</param>
    public static AssignedName[] AssignNames(IReadOnlyList<(string Backend, string Name)> items,
        IReadOnlyDictionary<string, NamingRule> rules, IReadOnlyDictionary<(string Backend, string Name), AssignedName> previous)
    {
        var wanted = new string[items.Count];
        var qualified = new string[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            var (backend, name) = items[i];
            if (rules.GetValueOrDefault(backend).Prefix is { Length: > 0 } prefix)
            {
                wanted[i] = Compose(prefix, name, backend);
                qualified[i] = WithHash(wanted[i], backend + "\n" + name);
            }
            else
            {
                wanted[i] = name;
                qualified[i] = Compose(backend, name, backend);
            }
        }

        return Assign(items, rules, previous, wanted, qualified, (i, attempt) => WithHash(qualified[i], $"{items[i].Backend}\n{items[i].Name}\n{attempt}"));
    }

    /// <summary>Resource URIs (or URI templates) for (backend, URI) pairs, in input order: a URI shown by another backend is qualified.</summary>
    public static AssignedName[] AssignUris(IReadOnlyList<(string Backend, string Name)> items,
        IReadOnlyDictionary<string, NamingRule> rules, IReadOnlyDictionary<(string Backend, string Name), AssignedName> previous)
    {
        var qualified = items.Select(i => ResourceUri(i.Backend, i.Name)).ToArray();
        // A prefixed backend wants its URIs qualified, as it wants its names prefixed: it never contests a bare URI.
        var wanted = items.Select((item, i) => rules.TryGetValue(item.Backend, out var rule) && rule.Prefix is not null ? qualified[i] : item.Name)
            .ToArray();
        return Assign(items, rules, previous, wanted, qualified, (i, attempt) => $"{qualified[i]}#{attempt}");
    }

    /// <summary>
    /// Three passes in seniority order: every item keeps the name it had (unless its naming was reconfigured); new
    /// items take the name they want while it is free; the rest take their qualified form (or, should even that be
    /// taken, a numbered variant), so every shown name is unique.
    /// </summary>
    private static AssignedName[] Assign(IReadOnlyList<(string Backend, string Name)> items, IReadOnlyDictionary<string, NamingRule> rules,
        IReadOnlyDictionary<(string Backend, string Name), AssignedName> previous, string[] wanted, string[] qualified, Func<int, int, string> variant)
    {
        var order = Enumerable.Range(0, items.Count)
            .OrderBy(i => rules.TryGetValue(items[i].Backend, out var rule) ? rule.Rank : int.MaxValue)
            .ThenBy(i => items[i].Backend, StringComparer.Ordinal)
            .ThenBy(i => items[i].Name, StringComparer.Ordinal)
            .ThenBy(i => i)
            .ToArray();
        var shown = new string?[items.Count];
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var i in order)
        {
            // Wanting what it wanted then means its backend's naming was not reconfigured: it keeps its name.
            if (previous.TryGetValue(items[i], out var had) && had.Wanted == wanted[i] && used.Add(had.Shown))
            {
                shown[i] = had.Shown;
            }
        }

        foreach (var i in order)
        {
            if (shown[i] is null && used.Add(wanted[i]))
            {
                shown[i] = wanted[i];
            }
        }

        foreach (var i in order)
        {
            if (shown[i] is not null)
            {
                continue;
            }

            var candidate = qualified[i];
            for (var attempt = 1; !used.Add(candidate); attempt++)
            {
                candidate = variant(i, attempt);
            }

            shown[i] = candidate;
        }

        var result = new AssignedName[items.Count];
        for (var i = 0; i < items.Count; i++)
        {
            result[i] = new AssignedName(wanted[i], shown[i]!);
        }

        return result;
    }

    private static string Compose(string prefix, string name, string backend)
    {
        var composed = InvalidCharacters().Replace(prefix + Separator + name, "_");
        return composed.Length <= MaxLength ? composed : WithHash(composed, backend + "\n" + name);
    }

    private static string WithHash(string name, string identity)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..8];
        var keep = Math.Min(name.Length, MaxLength - hash.Length - 1);
        return InvalidCharacters().Replace(name[..keep], "_") + "-" + hash;
    }

    [GeneratedRegex("[^a-zA-Z0-9_-]")]
    private static partial Regex InvalidCharacters();
}
