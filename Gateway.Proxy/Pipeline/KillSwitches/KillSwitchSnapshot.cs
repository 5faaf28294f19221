using System.Collections.Frozen;
using Gateway.Contracts.Messages;

namespace Gateway.Proxy.Pipeline.KillSwitches;

/// <summary>
/// An immutable view of every engaged kill switch. Replaced as a whole on each refresh, so the per-call check reads
/// one reference and does at most two dictionary lookups, with no lock and no allocation.
/// </summary>
public sealed class KillSwitchSnapshot
{
    private readonly FrozenDictionary<string, KillSwitch> _backends;
    private readonly FrozenDictionary<string, KillSwitch> _tools;
    private readonly FrozenDictionary<string, KillSwitch> _providers;
    private readonly FrozenDictionary<string, KillSwitch> _models;

    public KillSwitchSnapshot(IEnumerable<KillSwitch> switches)
    {
        ArgumentNullException.ThrowIfNull(switches);
        All = [.. switches.OrderBy(s => s.Scope).ThenBy(s => s.Name, StringComparer.Ordinal)];
        Global = All.FirstOrDefault(s => s.Scope == KillSwitchScope.Global);
        _backends = All.Where(s => s.Scope == KillSwitchScope.Backend).ToFrozenDictionary(s => s.Name, StringComparer.Ordinal);
        _tools = All.Where(s => s.Scope == KillSwitchScope.Tool).ToFrozenDictionary(s => s.Name, StringComparer.Ordinal);
        _providers = All.Where(s => s.Scope == KillSwitchScope.Provider).ToFrozenDictionary(s => s.Name, StringComparer.Ordinal);
        _models = All.Where(s => s.Scope == KillSwitchScope.Model).ToFrozenDictionary(s => s.Name, StringComparer.Ordinal);
    }

    public static KillSwitchSnapshot Empty { get; } = new([]);

    public KillSwitch? Global { get; }

    /// <summary>Every engaged switch, global first, then backends, tools, providers and models, each by name.</summary>
    public IReadOnlyList<KillSwitch> All { get; }

    /// <summary>The switch that stops a call to <paramref name="tool"/> on <paramref name="backend"/>, the broadest first.</summary>
    public KillSwitch? Find(string? backend, string? tool)
    {
        if (Global is not null)
        {
            return Global;
        }

        if (backend is not null && _backends.TryGetValue(backend, out var byBackend))
        {
            return byBackend;
        }

        return tool is not null && _tools.TryGetValue(tool, out var byTool) ? byTool : null;
    }

    /// <summary>The switch that stops every request for <paramref name="model"/>: the global one or the model's.</summary>
    public KillSwitch? FindModel(string model) =>
        Global ?? (_models.TryGetValue(model, out var byModel) ? byModel : null);

    /// <summary>The switch that takes <paramref name="provider"/> out of every model's targets, if engaged.</summary>
    public KillSwitch? FindProvider(string provider) => _providers.TryGetValue(provider, out var byProvider) ? byProvider : null;
}
