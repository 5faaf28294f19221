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

    public static string CircuitField(string backend) => CircuitFieldPrefix + backend;

    public static string HealthField(string backend) => HealthFieldPrefix + backend;

    public static CircuitStateChanged? ParseCircuit(string json) =>
        JsonSerializer.Deserialize<CircuitStateChanged>(json, JsonOptions);

    public static BackendHealthChanged? ParseHealth(string json) =>
        JsonSerializer.Deserialize<BackendHealthChanged>(json, JsonOptions);
}
