using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Gateway.Contracts.Configuration;

namespace Gateway.Authentication;

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
