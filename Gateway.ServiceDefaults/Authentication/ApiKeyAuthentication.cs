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

    /// <summary>
    /// Reads the API key from <c>Authorization: Bearer</c> or <c>X-Api-Key</c>. Returns false when neither header is
    /// present; an empty or malformed value is returned as an empty key so it fails authentication.
    /// </summary>
    public static bool TryReadApiKey(IHeaderDictionary headers, out string apiKey)
    {
        if (headers.TryGetValue("X-Api-Key", out var key))
        {
            apiKey = key.ToString().Trim();
            return true;
        }

        var authorization = headers.Authorization.ToString();
        if (authorization.Length > 0)
        {
            apiKey = authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                ? authorization["Bearer ".Length..].Trim()
                : "";
            return true;
        }

        apiKey = "";
        return false;
    }
}

/// <summary>
/// Maps API keys to configured clients. Keys are compared by their SHA-256, so configuration never holds a key; the
/// lookup table is rebuilt when the gateway configuration reloads.
/// </summary>
public sealed class ApiKeyDirectory : IDisposable
{
    private readonly IDisposable? _subscription;
    private volatile Snapshot _snapshot;

    public ApiKeyDirectory(IOptionsMonitor<GatewayOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _snapshot = Snapshot.From(options.CurrentValue);
        _subscription = options.OnChange(o => _snapshot = Snapshot.From(o));
    }

    /// <summary>The client owning <paramref name="apiKey"/>, or null.</summary>
    public ClientOptions? FindByKey(string apiKey) =>
        apiKey.Length > 0 && _snapshot.ByHash.TryGetValue(GatewayAuth.HashKey(apiKey), out var client) ? client : null;

    /// <summary>The anonymous client id and roles, when anonymous access is configured.</summary>
    public (string ClientId, IReadOnlyList<string> Roles)? Anonymous => _snapshot.Anonymous;

    public void Dispose() => _subscription?.Dispose();

    private sealed record Snapshot(
        FrozenDictionary<string, ClientOptions> ByHash,
        (string ClientId, IReadOnlyList<string> Roles)? Anonymous)
    {
        public static Snapshot From(GatewayOptions options) => new(
            options.Clients
                .Where(c => !string.IsNullOrEmpty(c.KeySha256))
                .GroupBy(c => c.KeySha256.ToLowerInvariant(), StringComparer.Ordinal)
                .ToFrozenDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal),
            string.IsNullOrWhiteSpace(options.AnonymousClientId)
                ? null
                : (options.AnonymousClientId, options.AnonymousRoles.ToArray()));
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
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!GatewayAuth.TryReadApiKey(Request.Headers, out var apiKey))
        {
            return Task.FromResult(directory.Anonymous is { } anonymous
                ? Success(anonymous.ClientId, anonymous.Roles, anonymous: true)
                : AuthenticateResult.NoResult());
        }

        return Task.FromResult(directory.FindByKey(apiKey) is { } client
            ? Success(client.Id, client.Roles, anonymous: false)
            : AuthenticateResult.Fail("invalid API key"));
    }

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

    private static AuthenticateResult Success(string clientId, IReadOnlyList<string> roles, bool anonymous)
    {
        var claims = new List<Claim>(roles.Count + 2) { new(GatewayAuth.ClientIdClaim, clientId), new(ClaimTypes.Name, clientId) };
        if (anonymous)
        {
            claims.Add(new Claim(GatewayAuth.AnonymousClaim, "true"));
        }

        foreach (var role in roles)
        {
            claims.Add(new Claim(ClaimTypes.Role, role));
        }

        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, GatewayAuth.Scheme));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, GatewayAuth.Scheme));
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
