using Gateway.Proxy.Extensions;

namespace Gateway.Proxy.Backends;

/// <summary>
/// The environment a stdio backend starts with: the proxy's own, minus the runtime tuning meant for the proxy
/// process, plus the backend's configured <c>Env</c>. The AppHost gives every proxy replica a 32 MB gen0 budget
/// (<c>DOTNET_GCgen0size</c>) and the proxy turns inline socket completions on for itself; a .NET stdio server that
/// inherited them would run with settings measured for the proxy's workload rather than its own. A backend that
/// wants such a setting names it in its <c>Env</c>.
/// </summary>
internal static class ChildEnvironment
{
    public static void Apply(IDictionary<string, string?> environment, IReadOnlyDictionary<string, string> configured)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(configured);
        InlineIoExtensions.RemoveFromChildEnvironment(environment);
        foreach (var name in environment.Keys.Where(IsGcSetting).ToArray())
        {
            environment.Remove(name);
        }

        foreach (var (name, value) in configured)
        {
            environment[name] = value;
        }
    }

    /// <summary>The runtime's GC settings (<c>DOTNET_GCgen0size</c>, <c>DOTNET_gcServer</c>, …) under either prefix it reads.</summary>
    private static bool IsGcSetting(string name) =>
        name.StartsWith("DOTNET_GC", StringComparison.OrdinalIgnoreCase) || name.StartsWith("COMPlus_GC", StringComparison.OrdinalIgnoreCase);
}
