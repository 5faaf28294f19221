using System.Globalization;

namespace Gateway.Bench.Audit;

internal sealed record BenchArguments(string Mode, IReadOnlyDictionary<string, string> Values)
{
    public static BenchArguments Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i + 1 < args.Length; i += 2)
        {
            values[args[i].TrimStart('-')] = args[i + 1];
        }

        return new BenchArguments(args.Length > 0 ? args[0] : "", values);
    }

    public string Required(string name) =>
        Values.TryGetValue(name, out var value) ? value : throw new ArgumentException($"--{name} is required");

    public int Int(string name, int fallback) =>
        Values.TryGetValue(name, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

    public static int Usage()
    {
        Console.Error.WriteLine("usage: ingest --messaging <amqp uri> --auditdb <conn> [--events N] [--warmup N] [--rate N/s] [--batch N] [--service-pid PID] [--broker-pid PID] [--db-pid PID]");
        Console.Error.WriteLine("       query --auditdb <conn> [--rows N] [--runs N]");
        return 2;
    }
}
