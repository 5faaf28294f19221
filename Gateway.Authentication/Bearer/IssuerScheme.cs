using System.Security.Claims;
using System.Text.RegularExpressions;
using Gateway.Contracts.Configuration;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.Tokens;

namespace Gateway.Authentication.Bearer;

/// <summary>
/// One trusted issuer as a JwtBearer scheme: its metadata and keys are fetched once and refreshed in the background
/// by JwtBearer's configuration manager (an unknown key id triggers at most one refresh per five minutes), so no call
/// waits on the network once the keys are known. A valid token becomes a gateway principal:
/// client id, roles, user and the scopes it lacks, by the issuer's claim names.
/// </summary>
internal static partial class IssuerScheme
{
    public static void Configure(JwtBearerOptions options, IssuerOptions issuer, OAuthOptions oauth)
    {
        var url = issuer.Issuer!;
        options.Authority = url.AbsoluteUri;
        if (issuer.MetadataAddress is { } metadata)
        {
            options.MetadataAddress = metadata.AbsoluteUri;
        }

        // Plain http is allowed for loopback issuers only (the validator refuses any other).
        options.RequireHttpsMetadata = !url.IsLoopback;
        options.MapInboundClaims = false;
        options.SaveToken = true;
        options.TokenValidationParameters = new TokenValidationParameters
        {
            ValidateIssuer = true,
            // Issuers differ on the trailing slash of the root path; either spelling of this one is accepted.
            ValidIssuers = [url.AbsoluteUri, url.AbsoluteUri.TrimEnd('/')],
            ValidateAudience = true,
            ValidAudiences = Audiences(issuer, oauth),
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = true,
            ClockSkew = issuer.ClockSkew,
            NameClaimType = issuer.SubjectClaim,
            RoleClaimType = issuer.RolesClaim,
        };
        options.Events = new JwtBearerEvents
        {
            OnTokenValidated = context =>
            {
                if (Map(context.Principal!, issuer) is { } principal)
                {
                    context.Principal = principal;
                }
                else
                {
                    context.Fail($"The token names no usable client id in '{issuer.ClientIdClaim}'.");
                }

                return Task.CompletedTask;
            },
        };
    }

    /// <summary>The configured audience, or the gateway's resource URI in both spellings of a bare authority.</summary>
    private static string[] Audiences(IssuerOptions issuer, OAuthOptions oauth)
    {
        if (!string.IsNullOrWhiteSpace(issuer.Audience))
        {
            return [issuer.Audience];
        }

        var resource = oauth.Resource!.AbsoluteUri;
        return resource.EndsWith('/') ? [resource, resource.TrimEnd('/')] : [resource];
    }

    /// <summary>The gateway principal for a validated token, or null when it names no client the gateway can use.</summary>
    internal static ClaimsPrincipal? Map(ClaimsPrincipal token, IssuerOptions issuer)
    {
        var clientId = token.FindFirst(issuer.ClientIdClaim)?.Value ?? token.FindFirst("azp")?.Value;
        if (string.IsNullOrEmpty(clientId) || !ClientId().IsMatch(clientId))
        {
            return null;
        }

        var claims = new List<Claim> { new(GatewayAuth.ClientIdClaim, clientId), new(ClaimTypes.Name, clientId) };
        if (token.FindFirst(issuer.SubjectClaim)?.Value is { Length: > 0 } subject)
        {
            claims.Add(new Claim(GatewayAuth.UserClaim, subject));
        }

        var roles = new HashSet<string>(issuer.DefaultRoles, StringComparer.Ordinal);
        foreach (var role in token.FindAll(issuer.RolesClaim))
        {
            roles.Add(role.Value);
        }

        foreach (var role in roles)
        {
            claims.Add(new Claim(ClaimTypes.Role, role));
        }

        var scopes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var claim in token.Claims)
        {
            if (claim.Type is "scope" or "scp")
            {
                scopes.UnionWith(claim.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
            }
        }

        foreach (var required in issuer.RequiredScopes)
        {
            if (!scopes.Contains(required))
            {
                claims.Add(new Claim(GatewayAuth.MissingScopeClaim, required));
            }
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, GatewayAuth.BearerSchemePrefix + issuer.Name, ClaimTypes.Name, ClaimTypes.Role));
    }

    [GeneratedRegex(ClientOptions.IdPattern)]
    private static partial Regex ClientId();
}
