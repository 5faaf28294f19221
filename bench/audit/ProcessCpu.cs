using System.Globalization;

namespace Gateway.Bench.Audit;

/// <summary>
/// CPU time (user + system) another process has spent, read from <c>/proc/&lt;pid&gt;/stat</c>. Wall-clock throughput
/// depends on what else the machine runs; CPU per event of the service under test does not, so the benchmark reports it.
/// </summary>
internal sealed record ProcessCpu(int Pid, string Name)
{
    /// <summary>Linux's USER_HZ: /proc reports times in clock ticks of 1/100 s on every mainstream kernel.</summary>
    private const double TicksPerSecond = 100;

    public TimeSpan Read()
    {
        var stat = File.ReadAllText($"/proc/{Pid}/stat");
        // The command name (field 2) is in parentheses and may contain spaces: count fields after its closing one.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / TicksPerSecond);
    }
}
