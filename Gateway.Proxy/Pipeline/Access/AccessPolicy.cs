using System.Collections.Frozen;
using Gateway.Contracts.Configuration;
using Gateway.Authentication;
using Microsoft.Extensions.Options;

namespace Gateway.Proxy.Pipeline.Access;

/// <summary>
/// RBAC: which tools, resources and prompts a client's roles allow (<see cref="GatewayOptions.Roles"/>). The
/// <c>admin</c> role allows everything. Patterns are compiled once per configuration change into exact-name sets and
/// glob lists, so a check is a few lookups with no allocation.
/// </summary>
public sealed class AccessPolicy : IDisposable
{
    private readonly IDisposable? _subscription;
    private volatile FrozenDictionary<string, CompiledRole> _roles;

    public AccessPolicy(IOptionsMonitor<GatewayOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _roles = Compile(options.CurrentValue);
        _subscription = options.OnChange(o => _roles = Compile(o));
    }

    /// <summary>
    /// Whether any of <paramref name="client"/>'s roles allows the item. A call that targets no catalog item
    /// (<see cref="CatalogItemKind.None"/>) has nothing to protect here and is allowed.
    /// </summary>
    public bool IsAllowed(ClientIdentity client, CatalogItemKind kind, string? name)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (kind == CatalogItemKind.None)
        {
            return true;
        }

        var roles = _roles;
        // Indexed, not foreach: enumerating an IReadOnlyList through the interface allocates an enumerator per call.
        var clientRoles = client.Roles;
        for (var i = 0; i < clientRoles.Count; i++)
        {
            var role = clientRoles[i];
            if (string.Equals(role, GatewayAuth.AdminRole, StringComparison.Ordinal))
            {
                return true;
            }

            if (name is not null && roles.TryGetValue(role, out var compiled) && compiled.For(kind).IsMatch(name))
            {
                return true;
            }
        }

        return false;
    }

    public void Dispose() => _subscription?.Dispose();

    private static FrozenDictionary<string, CompiledRole> Compile(GatewayOptions options) =>
        options.Roles.ToFrozenDictionary(
            r => r.Key,
            r => new CompiledRole(
                new PatternSet(r.Value.Tools), new PatternSet(r.Value.Resources), new PatternSet(r.Value.Prompts), new PatternSet(r.Value.Models)),
            StringComparer.Ordinal);

    private sealed record CompiledRole(PatternSet Tools, PatternSet Resources, PatternSet Prompts, PatternSet Models)
    {
        public PatternSet For(CatalogItemKind kind) => kind switch
        {
            CatalogItemKind.Tool => Tools,
            CatalogItemKind.Resource => Resources,
            CatalogItemKind.Model => Models,
            _ => Prompts,
        };
    }

    /// <summary>One role's patterns for one kind: exact names in a set, globs in a list.</summary>
    private sealed class PatternSet(IReadOnlyCollection<string> patterns)
    {
        private readonly FrozenSet<string> _exact = patterns.Where(p => !Glob.HasWildcards(p)).ToFrozenSet(StringComparer.Ordinal);
        private readonly string[] _globs = [.. patterns.Where(Glob.HasWildcards).Distinct(StringComparer.Ordinal)];

        public bool IsMatch(string name)
        {
            if (_exact.Contains(name))
            {
                return true;
            }

            foreach (var glob in _globs)
            {
                if (Glob.IsMatch(glob, name))
                {
                    return true;
                }
            }

            return false;
        }
    }
}
