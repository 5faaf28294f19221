using System.Globalization;

namespace Gateway.Bench.Circuit;

/// <summary><c>[--cycles 200] [--runs 5] [--one-sided-runs 3] [--rate 100] [--window 3] [--output file.md] [--json file.json]</c>.</summary>
internal sealed record BenchArguments(int Cycles, int Runs, int OneSidedRuns, int Rate, TimeSpan Window, string? Output, string? Json)
{
    public static BenchArguments Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            values[args[i].TrimStart('-')] = args[i + 1];
        }

        int Int(string name, int fallback) =>
            values.TryGetValue(name, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

        // The window must end before the 5 s default break lets a half-open probe through, which would mix
        // recovery into the fast-fail figures.
        return new BenchArguments(
            Int("cycles", 200),
            Int("runs", 5),
            Int("one-sided-runs", 3),
            Int("rate", 100),
            TimeSpan.FromSeconds(double.Parse(values.GetValueOrDefault("window", "3"), CultureInfo.InvariantCulture)),
            values.GetValueOrDefault("output"),
            values.GetValueOrDefault("json"));
    }
}
