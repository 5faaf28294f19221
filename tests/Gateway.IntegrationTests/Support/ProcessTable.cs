using System.Globalization;

namespace Gateway.IntegrationTests.Support;

/// <summary>Reads the kernel's process table (/proc) to see what is really running, independent of the AppHost's own view.</summary>
public static class ProcessTable
{
    /// <summary>Every live process (zombies excluded) whose process group is one of <paramref name="groups"/>.</summary>
    public static IReadOnlyList<int> InGroups(IReadOnlyCollection<int> groups)
    {
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                && Stat(pid) is { } stat && stat.State != 'Z' && groups.Contains(stat.Group))
            {
                found.Add(pid);
            }
        }

        return found;
    }

    /// <summary>Whether the process exists and is not a zombie.</summary>
    public static bool IsAlive(int pid) => Stat(pid) is { State: not 'Z' };

    private static (char State, int Group)? Stat(int pid)
    {
        try
        {
            // Fields after the command (which may contain spaces) start after the last ')': state, ppid, pgrp.
            var text = File.ReadAllText($"/proc/{pid}/stat");
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            return (fields[0][0], int.Parse(fields[2], CultureInfo.InvariantCulture));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
