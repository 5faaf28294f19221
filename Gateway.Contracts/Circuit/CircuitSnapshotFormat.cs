using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.Contracts.Messages;

namespace Gateway.Contracts.Circuit;

/// <summary>
/// The Redis snapshot of breaker state, written by the leading health monitor and read by proxies on start and after
/// every bus reconnect. One hash: field <c>circuit:{backend}</c> holds the JSON of the latest
/// <see cref="CircuitStateChanged"/>, field <c>health:{backend}</c> the latest <see cref="BackendHealthChanged"/>, and
/// field <see cref="SequenceField"/> the highest sequence written.
/// </summary>
public static class CircuitSnapshotFormat
{
    /// <summary>Default prefix of every key the circuit work keeps in Redis.</summary>
    public const string DefaultKeyPrefix = "gateway:circuit";

    public const string SequenceField = "sequence";
    public const string CircuitFieldPrefix = "circuit:";
    public const string HealthFieldPrefix = "health:";

    /// <summary>camelCase, enums as strings: the same shape as the bus messages' JSON.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
    };

    public static string SnapshotKey(string prefix) => prefix + ":snapshot";

    public static string SequenceKey(string prefix) => prefix + ":sequence";

    public static string LeaseKey(string prefix) => prefix + ":leader";

    /// <summary>The leading monitor's API address, written beside <see cref="LeaseKey"/> with the same TTL.</summary>
    public static string LeaderAddressKey(string prefix) => prefix + ":leader-address";

    public static string CircuitField(string backend) => CircuitFieldPrefix + backend;

    public static string HealthField(string backend) => HealthFieldPrefix + backend;

    /// <summary>Reads the snapshot hash's fields (<c>HGETALL</c>); unparseable fields are skipped.</summary>
    public static CircuitSnapshot Parse(IEnumerable<KeyValuePair<string, string>> fields)
    {
        ArgumentNullException.ThrowIfNull(fields);
        long sequence = 0;
        var circuits = new List<CircuitStateChanged>();
        var health = new List<BackendHealthChanged>();
        foreach (var (field, value) in fields)
        {
            if (field == SequenceField)
            {
                _ = long.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out sequence);
            }
            else if (field.StartsWith(CircuitFieldPrefix, StringComparison.Ordinal) && TryParse(value, ParseCircuit) is { } circuit)
            {
                circuits.Add(circuit);
            }
            else if (field.StartsWith(HealthFieldPrefix, StringComparison.Ordinal) && TryParse(value, ParseHealth) is { } changed)
            {
                health.Add(changed);
            }
        }

        return new CircuitSnapshot(sequence, circuits, health);
    }

    /// <summary>
    /// The JSON of <paramref name="message"/> without its opening <c>{"sequence":0</c>, so the Redis script that assigns
    /// the sequence can write <c>{"sequence":N</c> + this text atomically.
    /// </summary>
    public static string SerializeAfterSequence<T>(T message)
    {
        const string Opening = "{\"sequence\":0";
        var json = JsonSerializer.Serialize(message, JsonOptions);
        return json.StartsWith(Opening, StringComparison.Ordinal)
            ? json[Opening.Length..]
            : throw new InvalidOperationException($"{typeof(T).Name} must serialize its zero sequence first.");
    }

    public static CircuitStateChanged? ParseCircuit(string json) =>
        JsonSerializer.Deserialize<CircuitStateChanged>(json, JsonOptions);

    public static BackendHealthChanged? ParseHealth(string json) =>
        JsonSerializer.Deserialize<BackendHealthChanged>(json, JsonOptions);

    private static T? TryParse<T>(string json, Func<string, T?> parse)
        where T : class
    {
        try
        {
            return parse(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>Every backend's latest transition and health change, and the highest sequence written.</summary>
public sealed record CircuitSnapshot(
    long Sequence,
    IReadOnlyList<CircuitStateChanged> Circuits,
    IReadOnlyList<BackendHealthChanged> Health)
{
    public static CircuitSnapshot Empty { get; } = new(0, [], []);
}
