using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.DataProtection;

namespace Gateway.Proxy.Mcp.RoundTrips;

/// <summary>What a sealed <c>requestState</c> says: which call, held by which replica, for whom, until when.</summary>
internal sealed record RequestState(
    [property: JsonPropertyName("c")] string CallId,
    [property: JsonPropertyName("r")] string ReplicaId,
    [property: JsonPropertyName("a")] string? ReplicaAddress,
    [property: JsonPropertyName("k")] string ClientId,
    [property: JsonPropertyName("m")] string Method,
    [property: JsonPropertyName("t")] string Target,
    [property: JsonPropertyName("e")] long ExpiresMs);

/// <summary>
/// Seals <c>requestState</c> with ASP.NET Core Data Protection (encrypted and authenticated): a client can neither
/// read nor alter it, and state sealed by another gateway's key ring does not open. The expiry, the client and the
/// request it belongs to are inside, checked on every retry (MRTR: state is attacker-controlled input).
/// </summary>
internal sealed class RequestStateSeal(IDataProtectionProvider protection, TimeProvider time)
{
    private readonly IDataProtector _protector = protection.CreateProtector("Gateway.Mcp.RequestState.v1");

    public string Seal(RequestState state) =>
        Convert.ToBase64String(_protector.Protect(JsonSerializer.SerializeToUtf8Bytes(state, RequestStateJson.Default.RequestState)));

    /// <summary>The state, or null when it is not ours, altered, malformed or expired.</summary>
    public RequestState? Open(string sealedState)
    {
        try
        {
            var state = JsonSerializer.Deserialize(_protector.Unprotect(Convert.FromBase64String(sealedState)), RequestStateJson.Default.RequestState);
            return state is not null && state.ExpiresMs > time.GetUtcNow().ToUnixTimeMilliseconds() ? state : null;
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException or JsonException)
        {
            return null;
        }
    }
}

[JsonSerializable(typeof(RequestState))]
internal sealed partial class RequestStateJson : JsonSerializerContext;
