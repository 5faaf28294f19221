using System.Collections.Frozen;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Gateway.Contracts.Configuration;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Gateway.Authentication;

/// <summary>
/// Maps API keys to configured clients. Keys are compared by their SHA-256, so configuration never holds a key; the
/// lookup table is rebuilt when the gateway configuration reloads. Each client's authentication result (principal
/// and ticket) is built once per configuration, not per request: authentication runs on every call, and a
/// principal per call was a measurable share of the proxy's allocations.
/// </summary>
public sealed class ApiKeyDirectory : IDisposable
{
    /// <summary>Longer keys are hashed through a pooled buffer instead of the stack.</summary>
    private const int StackKeyBytes = 512;

    private static readonly Task<AuthenticateResult> s_noResult = Task.FromResult(AuthenticateResult.NoResult());
    private static readonly Task<AuthenticateResult> s_invalidKey = Task.FromResult(AuthenticateResult.Fail("invalid API key"));

    private readonly IDisposable? _subscription;
    private volatile Snapshot _snapshot;

    public ApiKeyDirectory(IOptionsMonitor<GatewayOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _snapshot = Snapshot.From(options.CurrentValue);
        _subscription = options.OnChange(o => _snapshot = Snapshot.From(o));
    }

    /// <summary>The client owning <paramref name="apiKey"/>, or null.</summary>
    public ClientOptions? FindByKey(string apiKey) => Find(apiKey)?.Client;

    /// <summary>The anonymous client id and roles, when anonymous access is configured.</summary>
    public (string ClientId, IReadOnlyList<string> Roles)? Anonymous =>
        _snapshot.Anonymous is { } anonymous ? (anonymous.ClientId, anonymous.Roles) : null;

    /// <summary>
    /// Authenticates a request by its headers, without allocating: the key's client (a cached success) for a known key,
    /// a failure for an unknown or malformed one, and, when no key is sent, the anonymous client where anonymous
    /// access is configured, otherwise no result. The <see cref="GatewayAuth.Scheme"/> handler answers with this; so
    /// does the MCP endpoint, which runs without the authentication middleware.
    /// </summary>
    public Task<AuthenticateResult> Authenticate(IHeaderDictionary headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (!TryReadApiKey(headers, out var apiKey))
        {
            return _snapshot.Anonymous?.Result ?? s_noResult;
        }

        return Find(apiKey)?.Result ?? s_invalidKey;
    }

    public void Dispose() => _subscription?.Dispose();

    /// <summary>
    /// Reads the API key from <c>X-Api-Key</c> or <c>Authorization: Bearer</c>, as a slice of the header value. False
    /// when neither header is sent; a malformed <c>Authorization</c> value gives an empty key, which fails.
    /// </summary>
    private static bool TryReadApiKey(IHeaderDictionary headers, out ReadOnlySpan<char> apiKey)
    {
        if (headers.TryGetValue("X-Api-Key", out var key))
        {
            apiKey = key.Count == 1 ? key[0].AsSpan().Trim() : key.ToString().AsSpan().Trim();
            return true;
        }

        var authorization = headers.Authorization;
        if (authorization.Count == 0 || authorization.Count == 1 && string.IsNullOrEmpty(authorization[0]))
        {
            apiKey = default;
            return false;
        }

        var value = authorization.Count == 1 ? authorization[0].AsSpan() : authorization.ToString().AsSpan();
        apiKey = value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? value["Bearer ".Length..].Trim() : default;
        return true;
    }

    private Entry? Find(ReadOnlySpan<char> apiKey)
    {
        if (apiKey.IsEmpty)
        {
            return null;
        }

        var length = Encoding.UTF8.GetMaxByteCount(apiKey.Length);
        byte[]? rented = null;
        var utf8 = length <= StackKeyBytes ? stackalloc byte[StackKeyBytes] : (rented = System.Buffers.ArrayPool<byte>.Shared.Rent(length));
        try
        {
            Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
            SHA256.HashData(utf8[..Encoding.UTF8.GetBytes(apiKey, utf8)], hash);
            Span<char> hex = stackalloc char[SHA256.HashSizeInBytes * 2];
            Convert.TryToHexStringLower(hash, hex, out _);
            return _snapshot.ByHash.TryGetValue(hex, out var entry) ? entry : null;
        }
        finally
        {
            if (rented is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(rented, clearArray: true);
            }
        }
    }

    /// <summary>One client as authentication sees it; <see cref="Result"/> is shared by all its requests (read-only).</summary>
    private sealed record Entry(ClientOptions? Client, string ClientId, IReadOnlyList<string> Roles, Task<AuthenticateResult> Result)
    {
        public static Entry For(ClientOptions? client, string clientId, string[] roles, bool anonymous)
        {
            var claims = new List<Claim>(roles.Length + 3) { new(GatewayAuth.ClientIdClaim, clientId), new(ClaimTypes.Name, clientId) };
            if (anonymous)
            {
                claims.Add(new Claim(GatewayAuth.AnonymousClaim, "true"));
            }

            foreach (var role in roles)
            {
                claims.Add(new Claim(ClaimTypes.Role, role));
            }

            var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, GatewayAuth.Scheme));
            var result = AuthenticateResult.Success(new AuthenticationTicket(principal, GatewayAuth.Scheme));
            return new Entry(client, clientId, roles, Task.FromResult(result));
        }
    }

    private sealed record Snapshot(FrozenDictionary<string, Entry>.AlternateLookup<ReadOnlySpan<char>> ByHash, Entry? Anonymous)
    {
        public static Snapshot From(GatewayOptions options) => new(
            options.Clients
                .Where(c => !string.IsNullOrEmpty(c.KeySha256))
                .GroupBy(c => c.KeySha256.ToLowerInvariant(), StringComparer.Ordinal)
                .ToFrozenDictionary(g => g.Key, g => Entry.For(g.First(), g.First().Id, g.First().Roles.ToArray(), anonymous: false), StringComparer.Ordinal)
                .GetAlternateLookup<ReadOnlySpan<char>>(),
            string.IsNullOrWhiteSpace(options.AnonymousClientId)
                ? null
                : Entry.For(null, options.AnonymousClientId, options.AnonymousRoles.ToArray(), anonymous: true));
    }
}
