using Gateway.Authentication.Bearer;
using Gateway.Contracts.Configuration;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Gateway.Authentication;

/// <summary>
/// Authenticates a gateway caller by what it sends: a JWT in <c>Authorization: Bearer</c> is validated by the
/// JwtBearer scheme of the issuer it names (once per token: later calls hit <see cref="ValidatedTokenCache"/>);
/// anything else is an API key (<see cref="ApiKeyDirectory"/>). The <see cref="GatewayAuth.CallerScheme"/> handler
/// answers with this; so does the MCP endpoint, which runs without the authentication middleware.
/// </summary>
public sealed class GatewayCallerAuthenticator
{
    private readonly ApiKeyDirectory _apiKeys;
    private readonly ValidatedTokenCache _cache;
    private readonly IOptionsMonitor<GatewayOptions> _options;

    private readonly IAuthenticationSchemeProvider _schemes;

    /// <summary>The bearer token each validated principal came with, for an RFC 8693 exchange on the user's behalf.</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<System.Security.Claims.ClaimsPrincipal, string> s_tokens = new();

    public GatewayCallerAuthenticator(ApiKeyDirectory apiKeys, ValidatedTokenCache cache, IOptionsMonitor<GatewayOptions> options,
        ResourceMetadata metadata, IAuthenticationSchemeProvider schemes, IOptionsMonitorCache<JwtBearerOptions> schemeOptions)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(schemeOptions);
        _apiKeys = apiKeys;
        _cache = cache;
        _options = options;
        _schemes = schemes;
        Metadata = metadata;
        // A reload may change an issuer, its audience or its scopes: tokens validated under the old rules are
        // validated again, and each scheme is configured afresh.
        options.OnChange(current =>
        {
            foreach (var issuer in current.OAuth.Issuers)
            {
                schemeOptions.TryRemove(GatewayAuth.BearerSchemePrefix + issuer.Name);
            }

            cache.Clear();
        });
    }

    /// <summary>Writes the 401 and 403 answers that point to the resource metadata.</summary>
    public ResourceMetadata Metadata { get; }

    /// <summary>
    /// The caller's authentication result. Failures carry a message safe to show the caller and to audit (never the
    /// token); <see cref="IsBearer"/> tells whether it was a bearer token.
    /// </summary>
    public Task<AuthenticateResult> AuthenticateAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!_options.CurrentValue.OAuth.Enabled || !BearerToken.TryReadJwt(context.Request.Headers, out var token))
        {
            return _apiKeys.Authenticate(context.Request.Headers);
        }

        return _cache.TryGet(token, out var cached) ? cached : ValidateAsync(context, token.ToString());
    }

    /// <summary>Whether the request carries a bearer token (JWT) rather than an API key.</summary>
    public bool IsBearer(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return _options.CurrentValue.OAuth.Enabled && BearerToken.TryReadJwt(context.Request.Headers, out _);
    }

    /// <summary>
    /// The access token <paramref name="principal"/> was authenticated with, or null (API keys). Only a token exchange
    /// toward a backend may use it: it is never forwarded as such.
    /// </summary>
    public static string? AccessTokenOf(System.Security.Claims.ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        return s_tokens.TryGetValue(principal, out var token) ? token : null;
    }

    /// <summary>The scopes the caller's token lacks (empty for API keys and complete tokens).</summary>
    public static IEnumerable<string> MissingScopes(System.Security.Claims.ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        return principal.FindAll(GatewayAuth.MissingScopeClaim).Select(c => c.Value);
    }

    private async Task<AuthenticateResult> ValidateAsync(HttpContext context, string token)
    {
        JsonWebToken jwt;
        try
        {
            jwt = new JsonWebToken(token);
        }
        catch (ArgumentException)
        {
            return AuthenticateResult.Fail("The bearer token is malformed.");
        }

        var issuer = FindIssuer(jwt.Issuer);
        if (issuer is null)
        {
            return AuthenticateResult.Fail("The token's issuer is not trusted by this gateway.");
        }

        var scheme = GatewayAuth.BearerSchemePrefix + issuer.Name;
        if (await _schemes.GetSchemeAsync(scheme) is null)
        {
            _schemes.TryAddScheme(new AuthenticationScheme(scheme, null, typeof(JwtBearerHandler)));
        }

        var result = await context.AuthenticateAsync(scheme);
        if (result.Succeeded)
        {
            s_tokens.AddOrUpdate(result.Principal, token);
            _cache.Add(token, result, jwt.ValidTo == DateTime.MinValue ? DateTimeOffset.MinValue : new DateTimeOffset(jwt.ValidTo, TimeSpan.Zero));
            return result;
        }

        return AuthenticateResult.Fail(Describe(result.Failure));
    }

    private IssuerOptions? FindIssuer(string? iss)
    {
        if (string.IsNullOrEmpty(iss))
        {
            return null;
        }

        var name = iss.AsSpan().TrimEnd('/');
        foreach (var issuer in _options.CurrentValue.OAuth.Issuers)
        {
            if (issuer.Issuer is { } url && url.AbsoluteUri.AsSpan().TrimEnd('/').SequenceEqual(name))
            {
                return issuer;
            }
        }

        return null;
    }

    /// <summary>What went wrong, in words that name no key, claim value or token (IdentityModel messages may).</summary>
    private static string Describe(Exception? failure) => failure switch
    {
        null => "The bearer token was not accepted.",
        SecurityTokenExpiredException => "The token has expired.",
        SecurityTokenNotYetValidException => "The token is not valid yet.",
        SecurityTokenInvalidAudienceException => "The token was not issued for this gateway (audience).",
        SecurityTokenInvalidIssuerException => "The token's issuer is not trusted by this gateway.",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "The token's signature does not verify with the issuer's keys.",
        SecurityTokenNoExpirationException => "The token has no expiry.",
        SecurityTokenException => "The bearer token is not valid.",
        InvalidOperationException => "The issuer's signing keys could not be fetched.",
        _ when failure.Message.StartsWith("The token names no usable client id", StringComparison.Ordinal) => failure.Message,
        _ => "The bearer token was not accepted.",
    };
}
