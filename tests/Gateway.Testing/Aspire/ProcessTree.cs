using System.Globalization;

namespace Gateway.Testing.Aspire;

/// <summary>Processes by parent, read from /proc: what a test kills, and what must be gone after disposal.</summary>
public static class ProcessTree
{
    /// <summary>The direct children of <paramref name="pid"/>.</summary>
    public static IReadOnlyList<int> Children(int pid) =>
        [.. All().Where(p => p.ParentId == pid).Select(p => p.Id)];

    /// <summary>
    /// The processes under <paramref name="pid"/>, at any depth: e.g. RabbitMQ's <c>beam.smp</c> under the
    /// <c>rabbitmq-server</c> script whose id DCP reports.
    /// </summary>
    public static IReadOnlyList<(int Id, int ParentId, string CommandLine)> Descendants(int pid)
    {
        var all = All();
        var found = new List<(int Id, int ParentId, string CommandLine)>();
        var parents = new Queue<int>([pid]);
        while (parents.TryDequeue(out var parent))
        {
            foreach (var child in all.Where(p => p.ParentId == parent))
            {
                found.Add(child);
                parents.Enqueue(child.Id);
            }
        }

        return found;
    }

    /// <summary>
    /// <paramref name="pid"/> itself and every process under it: where a program is, whether the process DCP started
    /// execs it or starts it as a child (RabbitMQ's start script execs <c>beam.smp</c> in this AppHost).
    /// </summary>
    public static IReadOnlyList<(int Id, int ParentId, string CommandLine)> SelfAndDescendants(int pid) =>
        [.. All().Where(p => p.Id == pid), .. Descendants(pid)];

    /// <summary>Every process on the machine with its parent and command line.</summary>
    public static IReadOnlyList<(int Id, int ParentId, string CommandLine)> All()
    {
        var list = new List<(int, int, string)>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), CultureInfo.InvariantCulture, out var id))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                // The command name in parentheses may itself hold spaces and parentheses: fields follow the last ')'.
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                var commandLine = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ').Trim();
                list.Add((id, int.Parse(fields[1], CultureInfo.InvariantCulture), commandLine));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Gone between listing and reading.
            }
        }

        return list;
    }
}
