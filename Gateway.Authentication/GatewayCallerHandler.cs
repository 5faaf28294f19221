using System.Text.Encodings.Web;
using Gateway.Contracts;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Authentication;

/// <summary>
/// The default scheme of every service (<see cref="GatewayAuth.CallerScheme"/>): API key or bearer token through
/// <see cref="GatewayCallerAuthenticator"/>. Its answers point OAuth clients to the resource metadata: 401 with
/// <c>WWW-Authenticate: Bearer resource_metadata="…"</c> (and <c>error="invalid_token"</c> for a refused token),
/// 403 with <c>error="insufficient_scope"</c> for a token lacking a required scope.
/// </summary>
public sealed class GatewayCallerHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    GatewayCallerAuthenticator callers)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync() => callers.AuthenticateAsync(Context);

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        var bearer = callers.IsBearer(Context);
        var detail = result.Failure?.Message is { } failure
            ? bearer ? failure : "Invalid API key."
            : "Authentication required: send an OAuth access token or an API key in 'Authorization: Bearer', or an API key in 'X-Api-Key'.";
        await callers.Metadata.WriteUnauthorizedAsync(Context, detail, bearer && result.Failure is not null);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        var missing = result.Principal is null ? [] : GatewayCallerAuthenticator.MissingScopes(result.Principal).ToArray();
        if (missing.Length > 0)
        {
            await callers.Metadata.WriteInsufficientScopeAsync(Context, missing);
            return;
        }

        await ApiKeyAuthenticationHandler.WriteErrorAsync(Context, StatusCodes.Status403Forbidden, GatewayErrorCodes.Forbidden,
            "The caller's roles do not allow this operation.");
    }
}
