namespace Gateway.Proxy.Stdio;

/// <summary>Settings of <c>--stdio</c> mode, bound from <c>Gateway:Stdio</c>.</summary>
public sealed class StdioOptions
{
    public const string SectionName = "Gateway:Stdio";

    /// <summary>API key naming the stdio client (looked up like an HTTP one). Default: none, the anonymous client.</summary>
    public string? ApiKey { get; set; }
}

/// <summary>The <c>--stdio</c> command-line switch.</summary>
public static class StdioMode
{
    public const string Switch = "--stdio";

    public static bool IsRequested(string[] args) => args.Contains(Switch, StringComparer.Ordinal);

    /// <summary>The arguments without the switch, which the configuration command-line parser would misread.</summary>
    public static string[] WithoutSwitch(string[] args) => [.. args.Where(a => !string.Equals(a, Switch, StringComparison.Ordinal))];
}
