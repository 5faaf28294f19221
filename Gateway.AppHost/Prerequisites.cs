namespace Gateway.AppHost;

/// <summary>
/// What the machine must have for a resource to run locally. A missing one stops the AppHost before anything starts,
/// with one line saying what to install, instead of a resource failing later in a log nobody reads.
/// </summary>
public static class Prerequisites
{
    public static void Require(bool present, string whatToInstall)
    {
        if (!present)
        {
            throw new MissingPrerequisiteException(whatToInstall);
        }
    }

    /// <summary>Whether <paramref name="command"/> is an existing path or found on PATH.</summary>
    public static bool IsOnPath(string command) =>
        command.Contains('/', StringComparison.Ordinal)
            ? File.Exists(command)
            : (Environment.GetEnvironmentVariable("PATH") ?? "")
                .Split(':', StringSplitOptions.RemoveEmptyEntries)
                .Any(directory => File.Exists(Path.Combine(directory, command)));
}

public sealed class MissingPrerequisiteException(string message) : Exception(message);
