using System.Collections.Frozen;
using Gateway.Contracts.Configuration;
using Microsoft.Extensions.Options;

namespace Gateway.Proxy.Llm.Routing;

/// <summary>The configured models and their provider targets, rebuilt when the configuration reloads.</summary>
public sealed class ModelRoutes : IDisposable
{
    private readonly IDisposable? _subscription;
    private volatile FrozenDictionary<string, ModelRoute> _routes;

    public ModelRoutes(IOptionsMonitor<GatewayOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _routes = Index(options.CurrentValue);
        _subscription = options.OnChange(o => _routes = Index(o));
    }

    /// <summary>Every configured model, by name.</summary>
    public IEnumerable<ModelRoute> All => _routes.Values;

    public ModelRoute? Find(string model) => _routes.TryGetValue(model, out var route) ? route : null;

    public void Dispose() => _subscription?.Dispose();

    private static FrozenDictionary<string, ModelRoute> Index(GatewayOptions options)
    {
        var kinds = options.Providers.ToDictionary(p => p.Name, p => p.Kind, StringComparer.Ordinal);
        return options.Models
            .GroupBy(m => m.Name, StringComparer.Ordinal)
            .Select(g => g.First())
            .ToFrozenDictionary(
                m => m.Name,
                m => new ModelRoute(m.Name, [.. m.Targets
                    .Where(t => kinds.ContainsKey(t.Provider))
                    .Select(t => new RouteTarget(t.Provider, kinds[t.Provider], t.Model ?? m.Name, t.Priority, t.Weight))]),
                StringComparer.Ordinal);
    }
}

/// <summary>One provider that serves a model, under the name the provider knows it by.</summary>
public sealed record RouteTarget(string Provider, ProviderKind Kind, string Model, int Priority, int Weight);

/// <summary>A model and its targets.</summary>
public sealed class ModelRoute(string name, RouteTarget[] targets)
{
    public string Name { get; } = name;

    public IReadOnlyList<RouteTarget> Targets { get; } = targets;

    /// <summary>
    /// The targets of <paramref name="kind"/> in the order to try them for one request: by priority, and within a
    /// priority a weighted random order, so traffic spreads by weight and every target stays a fallback.
    /// </summary>
    public RouteTarget[] OrderFor(ProviderKind kind, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var order = targets.Where(t => t.Kind == kind).OrderBy(t => t.Priority).ToArray();
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end < order.Length && order[end].Priority == order[start].Priority)
            {
                end++;
            }

            ShuffleByWeight(order.AsSpan(start, end - start), random);
            start = end;
        }

        return order;
    }

    /// <summary>Picks each position in turn with probability proportional to weight among the targets left.</summary>
    private static void ShuffleByWeight(Span<RouteTarget> group, Random random)
    {
        for (var i = 0; i < group.Length - 1; i++)
        {
            var total = 0;
            for (var j = i; j < group.Length; j++)
            {
                total += group[j].Weight;
            }

            var pick = random.Next(total);
            var chosen = i;
            for (; chosen < group.Length - 1 && pick >= group[chosen].Weight; chosen++)
            {
                pick -= group[chosen].Weight;
            }

            (group[i], group[chosen]) = (group[chosen], group[i]);
        }
    }
}
