using System.Collections.Frozen;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Gateway.Contracts;
using Gateway.Contracts.Configuration;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.ServiceDefaults.Authentication;

/// <summary>Names shared by every service that authenticates gateway clients.</summary>
public static class GatewayAuth
{
    public const string Scheme = "ApiKey";
    public const string ClientIdClaim = "gateway:client_id";
    public const string AnonymousClaim = "gateway:anonymous";
    public const string AdminRole = "admin";
    public const string AuditorRole = "auditor";

    /// <summary>Policy for admin APIs (kill switch, isolate/reset).</summary>
    public const string AdminPolicy = "admin";

    /// <summary>Policy for reading the audit log: auditors and admins.</summary>
    public const string AuditorPolicy = "auditor";

    /// <summary>Lower-case hex SHA-256 of an API key, as stored in <see cref="ClientOptions.KeySha256"/>.</summary>
    public static string HashKey(string apiKey) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(apiKey)));

    public static string? GetClientId(this ClaimsPrincipal principal) => principal.FindFirst(ClientIdClaim)?.Value;
}

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

/// <summary>
/// ASP.NET Core authentication for gateway clients. Failures are answered as JSON-RPC errors
/// (<see cref="GatewayErrorCodes.Unauthenticated"/>, <see cref="GatewayErrorCodes.Forbidden"/>) so MCP clients and
/// admin tools see the same shape everywhere.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyDirectory directory)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync() => directory.Authenticate(Request.Headers);

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        WriteErrorAsync(Context, StatusCodes.Status401Unauthorized, GatewayErrorCodes.Unauthenticated,
            "Authentication required: send an API key in 'Authorization: Bearer <key>' or 'X-Api-Key'.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteErrorAsync(Context, StatusCodes.Status403Forbidden, GatewayErrorCodes.Forbidden,
            "The caller's roles do not allow this operation.");

    /// <summary>Writes <c>{"jsonrpc":"2.0","id":null,"error":{"code":..,"message":..}}</c> with the status code.</summary>
    public static async Task WriteErrorAsync(HttpContext context, int statusCode, int code, string message)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "application/json";
        if (statusCode == StatusCodes.Status401Unauthorized)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
        }

        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartObject();
        writer.WriteString("jsonrpc", "2.0");
        writer.WriteNull("id");
        writer.WriteStartObject("error");
        writer.WriteNumber("code", code);
        writer.WriteString("message", message);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}

public static class ApiKeyAuthenticationExtensions
{
    /// <summary>
    /// Registers API-key authentication against <see cref="GatewayOptions.Clients"/> as the default scheme, and the
    /// <see cref="GatewayAuth.AdminPolicy"/> and <see cref="GatewayAuth.AuditorPolicy"/> authorization policies.
    /// </summary>
    public static TBuilder AddGatewayApiKeyAuthentication<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddSingleton<ApiKeyDirectory>();
        builder.Services.AddAuthentication(GatewayAuth.Scheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(GatewayAuth.Scheme, null);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(GatewayAuth.AdminPolicy, policy => policy.RequireRole(GatewayAuth.AdminRole))
            .AddPolicy(GatewayAuth.AuditorPolicy, policy => policy.RequireRole(GatewayAuth.AuditorRole, GatewayAuth.AdminRole));
        return builder;
    }
}
