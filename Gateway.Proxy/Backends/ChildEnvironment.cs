using System.Collections.Frozen;

namespace Gateway.Proxy.Backends;

/// <summary>
/// The environment a stdio backend starts with is an allow-list: what any process needs to run (<see cref="Basics"/>),
/// the proxy's variables the backend names in <c>InheritEnv</c>, and its configured <c>Env</c>. Nothing else: the
/// proxy's environment holds its connection strings (<c>ConnectionStrings__messaging</c> with the broker password,
/// Redis), credential secrets and telemetry settings, and a third-party MCP server has no business with any of them.
/// The runtime tuning meant for the proxy (<c>DOTNET_GCgen0size</c>, inline socket completions) stays out the same way.
/// </summary>
internal static class ChildEnvironment
{
    /// <summary>Variables a process needs to find programs, its home, locale, time zone and temp folder, on Linux, macOS and Windows.</summary>
    private static readonly FrozenSet<string> Basics = FrozenSet.Create(StringComparer.OrdinalIgnoreCase,
        "PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TEMP", "TMP", "TERM",
        "DOTNET_ROOT", "SystemRoot", "SystemDrive", "windir", "ComSpec", "PATHEXT", "USERPROFILE", "APPDATA", "LOCALAPPDATA",
        "ProgramData", "ProgramFiles", "ProgramFiles(x86)", "CommonProgramFiles", "NUMBER_OF_PROCESSORS", "PROCESSOR_ARCHITECTURE");

    public static void Apply(IDictionary<string, string?> environment, IReadOnlyDictionary<string, string> configured, IReadOnlyList<string> inherited)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(configured);
        ArgumentNullException.ThrowIfNull(inherited);
        foreach (var name in environment.Keys.ToArray())
        {
            if (!Basics.Contains(name) && !name.StartsWith("LC_", StringComparison.Ordinal) && !inherited.Contains(name, StringComparer.Ordinal))
            {
                environment.Remove(name);
            }
        }

        foreach (var (name, value) in configured)
        {
            environment[name] = value;
        }
    }
}
