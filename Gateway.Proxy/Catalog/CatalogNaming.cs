using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Gateway.Proxy.Catalog;

/// <summary>
/// Names tools and prompts clients see. A backend with a configured prefix has every name shown as
/// <c>{prefix}__{name}</c>; a backend without one keeps its names unless another backend offers the same name, in
/// which case the colliding names become <c>{backend}__{name}</c>. Names the gateway builds are kept within
/// <c>^[a-zA-Z0-9_-]{1,64}$</c> (other characters become <c>_</c>; too long names are cut and end in a hash).
/// The result depends only on configuration and on what backends list, so every replica computes the same names.
/// </summary>
internal static partial class CatalogNaming
{
    public const string Separator = "__";
    public const int MaxLength = 64;

    /// <summary>Scheme of the URIs the gateway gives resources (and templates) that several backends list.</summary>
    public const string ResourceScheme = "gateway:";

    /// <summary>
    /// The URI clients see for <paramref name="uri"/> of <paramref name="backend"/> when another backend lists the
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

    /// <summary>Visible names for (backend, original name) pairs, in input order.</summary>
    /// <param name="items">Each backend's item names, backends in any order.</param>
    /// <param name="prefixes">Configured prefix per backend (null or empty: none).</param>
    public static string[] Assign(IReadOnlyList<(string Backend, string Name)> items, IReadOnlyDictionary<string, string?> prefixes)
    {
        var proposed = new string[items.Count];
        var owners = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            var (backend, name) = items[i];
            proposed[i] = prefixes.GetValueOrDefault(backend) is { Length: > 0 } prefix ? Compose(prefix, name, backend) : name;
            if (!owners.TryGetValue(proposed[i], out var set))
            {
                owners[proposed[i]] = set = new HashSet<string>(StringComparer.Ordinal);
            }

            set.Add(backend);
        }

        var result = new string[items.Count];
        var used = new HashSet<string>(StringComparer.Ordinal);
        // Backends in name order decide who keeps a name when composing still collides, so replicas agree.
        foreach (var i in Enumerable.Range(0, items.Count).OrderBy(i => items[i].Backend, StringComparer.Ordinal).ThenBy(i => i))
        {
            var (backend, name) = items[i];
            var visible = owners[proposed[i]].Count > 1 && prefixes.GetValueOrDefault(backend) is not { Length: > 0 }
                ? Compose(backend, name, backend)
                : proposed[i];
            if (!used.Add(visible))
            {
                visible = WithHash(visible, backend + "\n" + name);
                used.Add(visible);
            }

            result[i] = visible;
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
