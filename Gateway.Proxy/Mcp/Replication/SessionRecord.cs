using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gateway.Proxy.Mcp.Replication;

/// <summary>
/// What every replica must know of a session to serve it: whose it is, what was negotiated, and what its backend
/// sessions must be told again when a replica re-creates them (logging level, resource subscriptions). Stored in
/// Redis as JSON under <see cref="SessionDirectory"/>'s key; everything else about a session is per replica.
/// </summary>
internal sealed record SessionRecord(
    string Id,
    string ClientId,
    string? User,
    bool IsAnonymous,
    IReadOnlyList<string> Roles,
    string ProtocolVersion,
    JsonElement? Capabilities,
    string? LogLevel,
    IReadOnlyList<BackendSubscription> Subscriptions)
{
    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, SessionRecordJson.Default.SessionRecord);

    /// <summary>The record, or null when the bytes are not one (a foreign or older value under our key).</summary>
    public static SessionRecord? FromJson(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, SessionRecordJson.Default.SessionRecord);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>A resource subscription as the backend holding it knows it: its own URI for the resource.</summary>
internal sealed record BackendSubscription(string Backend, string Uri);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SessionRecord))]
internal sealed partial class SessionRecordJson : JsonSerializerContext;
