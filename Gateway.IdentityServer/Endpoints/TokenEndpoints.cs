using System.Security.Claims;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Gateway.IdentityServer.Endpoints;

/// <summary>
/// The two endpoints OpenIddict hands to the application: <c>/connect/authorize</c> signs the demo user in (a form
/// the user, or a test, posts back with the original parameters; consent is implied for this demo) and
/// <c>/connect/token</c> builds the identity of each grant. Every access token names its client (<c>client_id</c>),
/// subject (<c>sub</c>), roles (<c>roles</c>), scopes and audience (the gateway's resource URI unless the client asked
/// for another registered resource).
/// </summary>
internal static class TokenEndpoints
{
    public const string AuthorizePath = "/connect/authorize";
    public const string TokenPath = "/connect/token";

    public static IEndpointRouteBuilder MapTokenEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapMethods(AuthorizePath, [HttpMethods.Get, HttpMethods.Post], AuthorizeAsync);
        endpoints.MapPost(TokenPath, ExchangeAsync);
        return endpoints;
    }

    private static async Task<IResult> AuthorizeAsync(HttpContext http, IOptions<IdentityServerOptions> options)
    {
        var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
        var user = options.Value.User;
        var form = http.Request.HasFormContentType ? await http.Request.ReadFormAsync() : null;
        var name = form?["username"].ToString();
        var password = form?["password"].ToString();
        if (form is null || !IsDemoUser(user, name, password))
        {
            return Results.Content(LoginPage.Render(http.Request, request, failed: form is not null), "text/html; charset=utf-8");
        }

        var identity = Identity(user.Name, user.Roles);
        identity.SetScopes(request.GetScopes());
        // The gateway may exchange the user's token for a backend's (RFC 8693): OpenIddict lets a client exchange only
        // tokens meant for it, so the clients allowed to do so are in the audience too.
        identity.SetResources([.. Audience(request.GetResources(), options.Value), .. options.Value.Clients.Where(c => c.TokenExchange).Select(c => c.ClientId)]);
        return Results.SignIn(new ClaimsPrincipal(identity), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private static async Task<IResult> ExchangeAsync(HttpContext http, IOptions<IdentityServerOptions> options)
    {
        var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
        if (request.IsAuthorizationCodeGrantType() || request.IsRefreshTokenGrantType())
        {
            var result = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
            return Results.SignIn(result.Principal!, authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        }

        if (request.IsClientCredentialsGrantType())
        {
            var client = options.Value.Clients.Single(c => c.ClientId == request.ClientId);
            var identity = Identity(client.ClientId, client.Roles);
            identity.SetScopes(request.GetScopes());
            identity.SetResources(Audience(request.GetResources(), options.Value));
            return Results.SignIn(new ClaimsPrincipal(identity), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        }

        if (request.IsTokenExchangeGrantType())
        {
            // OpenIddict has validated the subject token (one it issued); the new token speaks for the same user,
            // for the resource the gateway asked for, and says who acts for them.
            var result = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
            var subject = result.Principal!;
            var identity = Identity(subject.GetClaim(Claims.Subject)!, subject.GetClaims(Claims.Role));
            identity.AddClaim(new Claim(Claims.Actor, System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string?> { [Claims.Subject] = request.ClientId }),
                "JSON"));
            identity.SetDestinations(static _ => [Destinations.AccessToken]);
            identity.SetScopes(request.GetScopes());
            identity.SetResources(Audience(request.GetResources(), options.Value));
            return Results.SignIn(new ClaimsPrincipal(identity), authenticationScheme: OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        }

        return Results.Forbid(
            new AuthenticationProperties(new Dictionary<string, string?>
            {
                [OpenIddictServerAspNetCoreConstants.Properties.Error] = Errors.UnsupportedGrantType,
            }),
            [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
    }

    private static ClaimsIdentity Identity(string subject, IEnumerable<string> roles)
    {
        var identity = new ClaimsIdentity(TokenValidationParametersDefaults.AuthenticationType, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, subject);
        identity.SetClaim(Claims.Name, subject);
        identity.SetClaims(Claims.Role, [.. roles]);
        identity.SetDestinations(static _ => [Destinations.AccessToken]);
        return identity;
    }

    /// <summary>The resources asked for (OpenIddict has checked they are registered and permitted), else the gateway.</summary>
    private static string[] Audience(IEnumerable<string> requested, IdentityServerOptions options) =>
        requested.Any() ? [.. requested] : [options.GatewayResource!.AbsoluteUri];

    private static bool IsDemoUser(DemoUser user, string? name, string? password) =>
        !string.IsNullOrEmpty(user.Password) && string.Equals(name, user.Name, StringComparison.Ordinal)
        && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.UTF8.GetBytes(password ?? ""), System.Text.Encoding.UTF8.GetBytes(user.Password));

    private static class TokenValidationParametersDefaults
    {
        public const string AuthenticationType = "Gateway.IdentityServer";
    }
}
