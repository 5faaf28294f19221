using System.Globalization;
using System.Text;

namespace Gateway.Bench.Proxy;

internal sealed class Report(int rate, int seconds, int concurrency)
{
    private readonly Dictionary<string, (Percentiles Latency, double Throughput)> _runs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double> _values = new(StringComparer.Ordinal);

    public void Add(string name, Percentiles latency, double throughput) => _runs[name] = (latency, throughput);

    public void Add(string name, double value) => _values[name] = value;

    public string ToMarkdown()
    {
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(c, $"Fixed rate {rate} calls/s for {seconds} s (latency from scheduled start, ms); max throughput with {concurrency} callers.");
        text.AppendLine();
        text.AppendLine("| target | p50 | p90 | p99 | p99.9 | max | calls | errors | max calls/s |");
        text.AppendLine("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
        foreach (var (name, (l, throughput)) in _runs)
        {
            text.AppendLine(c, $"| {name} | {l.P50:0.000} | {l.P90:0.000} | {l.P99:0.000} | {l.P999:0.000} | {l.Max:0.0} | {l.Count} | {l.Errors} | {throughput:0} |");
        }

        if (_runs.TryGetValue("direct", out var d) && _runs.TryGetValue("gateway", out var g))
        {
            text.AppendLine();
            text.AppendLine(c, $"Added latency: p50 {g.Latency.P50 - d.Latency.P50:0.000} ms, p99 {g.Latency.P99 - d.Latency.P99:0.000} ms; gateway throughput {100 * g.Throughput / d.Throughput:0}% of direct.");
        }

        foreach (var (name, value) in _values)
        {
            text.AppendLine(c, $"{name}: {value:0.0}");
        }

        return text.ToString();
    }
}
