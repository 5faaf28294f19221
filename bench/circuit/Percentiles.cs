namespace Gateway.Bench.Circuit;

/// <summary>Nearest-rank percentiles of a set of samples.</summary>
internal sealed class Percentiles
{
    private readonly double[] _sorted;

    public Percentiles(IEnumerable<double> samples) => _sorted = [.. samples.Order()];

    public int Count => _sorted.Length;

    public double P50 => Of(50);

    public double P90 => Of(90);

    public double P99 => Of(99);

    public double Max => _sorted.Length == 0 ? double.NaN : _sorted[^1];

    public double Of(double percentile) =>
        _sorted.Length == 0 ? double.NaN : _sorted[Math.Clamp((int)Math.Ceiling(percentile / 100 * _sorted.Length) - 1, 0, _sorted.Length - 1)];
}
