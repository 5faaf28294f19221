using System.Globalization;

namespace Gateway.Bench.Audit;

/// <summary>
/// CPU time (user + system) another process has spent, read from <c>/proc/&lt;pid&gt;/stat</c>. Wall-clock throughput
/// depends on what else the machine runs; CPU per event of the service under test does not, so the benchmark reports it.
/// </summary>
internal sealed record ProcessCpu(int Pid, string Name, bool WithChildren = false)
{
    /// <summary>Linux's USER_HZ: /proc reports times in clock ticks of 1/100 s on every mainstream kernel.</summary>
    private const double TicksPerSecond = 100;

    /// <summary>
    /// CPU of the process, plus that of its live children when <see cref="WithChildren"/> (PostgreSQL: the postmaster's
    /// backends do the work). A child that exits between two readings takes its share with it.
    /// </summary>
    public TimeSpan Read()
    {
        var ticks = Ticks(Pid);
        if (WithChildren)
        {
            foreach (var directory in Directory.EnumerateDirectories("/proc"))
            {
                if (int.TryParse(Path.GetFileName(directory), CultureInfo.InvariantCulture, out var pid) && pid != Pid && ParentOf(pid) == Pid)
                {
                    ticks += Ticks(pid);
                }
            }
        }

        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }

    private static long Ticks(int pid) =>
        Fields(pid) is { } fields ? long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture) : 0;

    private static int ParentOf(int pid) => Fields(pid) is { } fields ? int.Parse(fields[1], CultureInfo.InvariantCulture) : 0;

    /// <summary>The fields after the command name, which is in parentheses and may contain spaces; null once the process is gone.</summary>
    private static string[]? Fields(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
    }
}
