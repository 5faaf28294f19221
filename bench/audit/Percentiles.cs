namespace Gateway.Bench.Audit;

internal static class Percentiles
{
    /// <summary>Nearest-rank percentile of already sorted values.</summary>
    public static double Of(IReadOnlyList<double> sorted, double percentile) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(percentile / 100 * sorted.Count) - 1, 0, sorted.Count - 1)];
}
