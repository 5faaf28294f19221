namespace Gateway.AppHost.Resources;

/// <summary>The <c>dotnet</c> executable that runs the AppHost, reused for projects and tools so one SDK serves all.</summary>
internal static class DotNetHost
{
    public static string Path { get; } =
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)
            ? host
            : Environment.ProcessPath is { } process && System.IO.Path.GetFileNameWithoutExtension(process) == "dotnet"
                ? process
                : "dotnet";

    /// <summary>Whether <paramref name="command"/> is an existing path or found on PATH.</summary>
    public static bool IsOnPath(string command) =>
        command.Contains('/', StringComparison.Ordinal)
            ? File.Exists(command)
            : (Environment.GetEnvironmentVariable("PATH") ?? "")
                .Split(':', StringSplitOptions.RemoveEmptyEntries)
                .Any(directory => File.Exists(System.IO.Path.Combine(directory, command)));
}
