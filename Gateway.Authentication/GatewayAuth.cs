using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Gateway.Contracts.Configuration;

namespace Gateway.Authentication;

/// <summary>Names shared by every service that authenticates gateway clients.</summary>
public static class GatewayAuth
{
    /// <summary>The API-key scheme.</summary>
    public const string Scheme = "ApiKey";

    /// <summary>The default scheme of every service: API key or bearer token, chosen by the credential sent.</summary>
    public const string CallerScheme = "Gateway";

    /// <summary>Prefix of each trusted issuer's JwtBearer scheme: <c>Bearer:&lt;issuer name&gt;</c>.</summary>
    public const string BearerSchemePrefix = "Bearer:";

    /// <summary>The user a bearer token was issued for (its subject); absent for API keys.</summary>
    public const string UserClaim = "gateway:user";

    /// <summary>One claim per scope the issuer requires that the token lacks: such a caller gets 403 <c>insufficient_scope</c>.</summary>
    public const string MissingScopeClaim = "gateway:missing_scope";

    /// <summary>Policy for data-plane endpoints (<c>/v1/*</c>): any authenticated caller whose token has the required scopes.</summary>
    public const string CallerPolicy = "caller";
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

    /// <summary>The user (token subject) behind the call, or null for an API key.</summary>
    public static string? GetUser(this ClaimsPrincipal principal) => principal.FindFirst(UserClaim)?.Value;
}
