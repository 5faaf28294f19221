using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Gateway.Contracts.Configuration;

/// <summary>
/// The gateway as an OAuth 2.1 resource server (MCP authorization): its resource URI, which authorization servers
/// it trusts, and the scopes it advertises. Without <see cref="Resource"/> and issuers only API keys are accepted.
/// </summary>
public sealed class OAuthOptions
{
    /// <summary>
    /// The gateway's resource URI (RFC 8707/RFC 9728), e.g. <c>https://gateway.example.com/mcp</c>: the audience
    /// every accepted token must carry, and the <c>resource</c> of the protected resource metadata. Absolute http(s),
    /// no fragment. Required when <see cref="Issuers"/> is not empty.
    /// </summary>
    public Uri? Resource { get; set; }

    /// <summary>Authorization servers whose access tokens the gateway accepts; several are allowed.</summary>
    [ValidateEnumeratedItems]
    public List<IssuerOptions> Issuers { get; set; } = [];

    /// <summary>Scopes listed as <c>scopes_supported</c> in the metadata. Default: the union of the issuers' required scopes.</summary>
    public List<string> ScopesSupported { get; set; } = [];

    /// <summary>True when bearer tokens are accepted at all.</summary>
    public bool Enabled => Resource is not null && Issuers.Count > 0;
}

/// <summary>One trusted authorization server.</summary>
public sealed class IssuerOptions
{
    /// <summary>Unique name, <see cref="BackendOptions.NamePattern"/>; names the authentication scheme (<c>Bearer:&lt;name&gt;</c>) in logs.</summary>
    [Required, RegularExpression(BackendOptions.NamePattern)]
    public string Name { get; set; } = "";

    /// <summary>
    /// The issuer URL: tokens must carry it as <c>iss</c>, and its metadata (<c>/.well-known/openid-configuration</c>)
    /// names the signing keys (JWKS), fetched once and refreshed in the background. Absolute http(s); plain http only on loopback.
    /// </summary>
    [Required]
    public Uri? Issuer { get; set; }

    /// <summary>Where the issuer's metadata is read from. Default: <c>{Issuer}/.well-known/openid-configuration</c>.</summary>
    public Uri? MetadataAddress { get; set; }

    /// <summary>The audience tokens must carry. Default: <see cref="OAuthOptions.Resource"/> (the gateway's own resource URI).</summary>
    public string? Audience { get; set; }

    /// <summary>Claim naming the OAuth client, which becomes the gateway client id (RBAC, rate limits, audit). Default: <c>client_id</c> (RFC 9068), then <c>azp</c>.</summary>
    [Required]
    public string ClientIdClaim { get; set; } = "client_id";

    /// <summary>Claim naming the user (the audit event's <c>user</c>). Default: <c>sub</c>.</summary>
    [Required]
    public string SubjectClaim { get; set; } = "sub";

    /// <summary>Claim carrying roles (repeated, or an array). Default: <c>roles</c>.</summary>
    [Required]
    public string RolesClaim { get; set; } = "roles";

    /// <summary>Roles every token of this issuer gets besides its own, e.g. a baseline tool role. Default: none.</summary>
    public List<string> DefaultRoles { get; set; } = [];

    /// <summary>Scopes every token must carry (in <c>scope</c> or <c>scp</c>); a token lacking one gets 403 <c>insufficient_scope</c>. Default: none.</summary>
    public List<string> RequiredScopes { get; set; } = [];

    /// <summary>Clock skew tolerated on <c>exp</c> and <c>nbf</c>, 0 to 5 min. Default: 30 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);
}
