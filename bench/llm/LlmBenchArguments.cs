using System.Globalization;

namespace Gateway.Bench.Llm;

/// <summary>
/// Command line of bench/llm: <c>[--smoke] [--rate N] [--rounds N] [--round-seconds S] [--warm-up S]
/// [--concurrency N] [--throughput-seconds S] [--memory-requests N] [--results DIR] [--root DIR]</c>.
/// </summary>
internal sealed record LlmBenchArguments
{
    /// <summary>Streamed requests per second offered to each target in the fixed-rate slices. Default 500 (the target's rate).</summary>
    public int Rate { get; init; } = 500;

    /// <summary>Rounds of interleaved slices (each target once per round, in a rotated order). Default 5.</summary>
    public int Rounds { get; init; } = 5;

    /// <summary>Length of one fixed-rate slice. Default 6 s (3,000 streams at 500/s).</summary>
    public double RoundSeconds { get; init; } = 6;

    /// <summary>Warm-up of each target before the first round (fixed rate, then closed loop): JIT tiers settle. Default 10 s.</summary>
    public double WarmUpSeconds { get; init; } = 10;

    /// <summary>Concurrent callers of the closed-loop (non-streaming) throughput slices. Default 16.</summary>
    public int Concurrency { get; init; } = 16;

    /// <summary>Length of one throughput slice. Default 4 s.</summary>
    public double ThroughputSeconds { get; init; } = 4;

    /// <summary>Streamed requests through the gateway while its resident set is sampled. Default 10,000.</summary>
    public int MemoryRequests { get; init; } = 10_000;

    /// <summary>Where <c>&lt;date&gt;-llm.md</c> and <c>.json</c> go. Default: bench/results (a temporary folder with --smoke).</summary>
    public string? Results { get; init; }

    /// <summary>The repository root (built projects are found under it). Default: the folder above the bench holding Gateway.sln.</summary>
    public string? Root { get; init; }

    public bool Smoke { get; init; }

    public static LlmBenchArguments Parse(IReadOnlyList<string> args)
    {
        var parsed = new LlmBenchArguments();
        if (args.Contains("--smoke"))
        {
            // Seconds, to prove every figure comes out; the figures themselves mean nothing.
            parsed = parsed with
            {
                Smoke = true, Rate = 50, Rounds = 1, RoundSeconds = 0.5, WarmUpSeconds = 0.2, Concurrency = 2,
                ThroughputSeconds = 0.3, MemoryRequests = 200,
            };
        }

        for (var i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            parsed = args[i] switch
            {
                "--smoke" => parsed,
                "--rate" => parsed with { Rate = Positive(int.Parse(Value(), CultureInfo.InvariantCulture), "--rate") },
                "--rounds" => parsed with { Rounds = Positive(int.Parse(Value(), CultureInfo.InvariantCulture), "--rounds") },
                "--round-seconds" => parsed with { RoundSeconds = Positive(double.Parse(Value(), CultureInfo.InvariantCulture), "--round-seconds") },
                "--warm-up" => parsed with { WarmUpSeconds = double.Parse(Value(), CultureInfo.InvariantCulture) },
                "--concurrency" => parsed with { Concurrency = Positive(int.Parse(Value(), CultureInfo.InvariantCulture), "--concurrency") },
                "--throughput-seconds" => parsed with { ThroughputSeconds = Positive(double.Parse(Value(), CultureInfo.InvariantCulture), "--throughput-seconds") },
                "--memory-requests" => parsed with { MemoryRequests = Positive(int.Parse(Value(), CultureInfo.InvariantCulture), "--memory-requests") },
                "--results" => parsed with { Results = Value() },
                "--root" => parsed with { Root = Value() },
                var unknown => throw new ArgumentException($"unknown argument {unknown}"),
            };
        }

        return parsed;
    }

    private static T Positive<T>(T value, string name) where T : System.Numerics.INumber<T> =>
        value > T.Zero ? value : throw new ArgumentException($"{name} must be positive");
}
