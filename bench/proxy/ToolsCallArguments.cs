using System.Globalization;

namespace Gateway.Bench.Proxy;

/// <summary>
/// <c>--gateway DLL [--gateway-policies-off DLL] [--yarp DLL] [--floor DLL] [--nginx SCRIPT] [--infrastructure full|standalone] [--rates 250,500,…]
/// [--seconds 4] [--warm-up 10] [--rounds 2] [--reference-rate 1000] [--pin CPUS] [--label shared] --json FILE
/// --markdown FILE [--plot FILE.gp]</c>. A proxy left out is not measured.
/// </summary>
internal sealed record ToolsCallArguments(
    IReadOnlyDictionary<string, string> Programs,
    bool Infrastructure,
    IReadOnlyList<int> Rates,
    TimeSpan Slice,
    TimeSpan WarmUp,
    int Rounds,
    int ReferenceRate,
    string? ProxyCpus,
    string Label,
    string Json,
    string Markdown,
    string? Plot)
{
    /// <summary>The rate a proxy sustains while its p99 stays under this (milliseconds) counts towards its throughput.</summary>
    public const double SustainableP99Milliseconds = 10;

    public static ToolsCallArguments Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            values[args[i].TrimStart('-')] = args[i + 1];
        }

        var programs = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var target in new[] { "gateway", "gateway-policies-off", "yarp", "floor", "nginx" })
        {
            if (values.TryGetValue(target, out var path))
            {
                programs[target] = Path.GetFullPath(path);
            }
        }

        double Number(string name, double fallback) =>
            values.TryGetValue(name, out var value) ? double.Parse(value, CultureInfo.InvariantCulture) : fallback;

        var rates = values.GetValueOrDefault("rates", "250,500,1000,2000,4000,6000,8000,12000,16000")
            .Split(',').Select(r => int.Parse(r, CultureInfo.InvariantCulture)).Order().ToList();
        var infrastructure = values.GetValueOrDefault("infrastructure", "full");
        if (infrastructure is not ("full" or "standalone"))
        {
            throw new ArgumentException("--infrastructure is full or standalone");
        }

        return new ToolsCallArguments(
            programs,
            infrastructure == "full",
            rates,
            TimeSpan.FromSeconds(Number("seconds", 4)),
            // Long enough for tiered compilation to finish rejitting the hot path on 2 busy cores: after 3 s the
            // gateway was still compiling (a third of its CPU in the JIT), which a long-running proxy does once.
            TimeSpan.FromSeconds(Number("warm-up", 10)),
            (int)Number("rounds", 2),
            (int)Number("reference-rate", 1000),
            values.GetValueOrDefault("pin"),
            values.GetValueOrDefault("label", "shared"),
            values.TryGetValue("json", out var json) ? json : throw new ArgumentException("--json is required"),
            values.TryGetValue("markdown", out var markdown) ? markdown : throw new ArgumentException("--markdown is required"),
            values.GetValueOrDefault("plot"));
    }
}
