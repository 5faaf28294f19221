using Gateway.Authentication;
using Gateway.Proxy.Audit;
using Gateway.Proxy.Llm.Errors;
using Gateway.Proxy.Pipeline;

namespace Gateway.Proxy.Llm.Http;

/// <summary>
/// Authenticates a <c>/v1</c> request with the gateway's own credential, as the SDKs send it: OpenAI's
/// <c>Authorization: Bearer</c> (an API key, or an OAuth access token issued for the gateway) or Anthropic's
/// <c>x-api-key</c>. The credential identifies the caller to the gateway only; providers get their own.
/// </summary>
internal static class LlmCaller
{
    /// <summary>
    /// The caller, or null after answering 401 (or 403 for a token lacking a required scope) in the caller's API
    /// shape, with the OAuth challenge in <c>WWW-Authenticate</c>, and auditing it.
    /// </summary>
    public static async Task<ClientIdentity?> AuthenticateAsync(HttpContext http, LlmOperation operation, GatewayCallerAuthenticator callers, AuditRecorder audit)
    {
        var result = await callers.AuthenticateAsync(http);
        if (result.Succeeded && CallerIdentities.From(result.Principal) is { } client)
        {
            var missing = GatewayCallerAuthenticator.MissingScopes(result.Principal).ToList();
            if (missing.Count == 0)
            {
                http.User = result.Principal;
                return client;
            }

            var scope = string.Join(' ', missing);
            var forbidden = new LlmError(StatusCodes.Status403Forbidden, "insufficient_scope", $"Insufficient scope: the token needs '{scope}'.");
            http.Response.Headers.WWWAuthenticate = callers.Metadata.Challenge("insufficient_scope", "The token lacks a required scope.", scope);
            await forbidden.WriteAsync(http, operation.Api);
            audit.RecordEdgeRefusal(client, operation.Method, http.TraceIdentifier, null, AuditStatus.Forbidden, forbidden.Status,
                http.Response.ContentLength ?? 0, forbidden.Message);
            return null;
        }

        var bearer = callers.IsBearer(http);
        var error = new LlmError(StatusCodes.Status401Unauthorized, "invalid_api_key", result.Failure is null
            ? "Authentication required: send the gateway API key (or an OAuth access token for the gateway) as 'Authorization: Bearer <credential>', or the API key as 'x-api-key'."
            : bearer ? result.Failure.Message : "Invalid API key.");
        http.Response.Headers.WWWAuthenticate = callers.Metadata.Challenge(
            bearer && result.Failure is not null ? "invalid_token" : null, bearer && result.Failure is not null ? error.Message : null);
        await error.WriteAsync(http, operation.Api);
        audit.RecordUnauthenticated(operation.Method, http.TraceIdentifier, null, http.Response.ContentLength ?? 0, error.Message);
        return null;
    }
}
