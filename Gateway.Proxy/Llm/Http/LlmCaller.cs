using Gateway.Authentication;
using Gateway.Proxy.Audit;
using Gateway.Proxy.Llm.Errors;
using Gateway.Proxy.Pipeline;

namespace Gateway.Proxy.Llm.Http;

/// <summary>
/// Authenticates a <c>/v1</c> request with the gateway's own credential, as the SDKs send it: OpenAI's
/// <c>Authorization: Bearer</c> (an API key or an OAuth access token for the gateway) or Anthropic's
/// <c>x-api-key</c>. The credential identifies the caller to the gateway only; providers get their own.
/// </summary>
internal static class LlmCaller
{
    /// <summary>The caller, or null after answering 401 in the caller's API shape and auditing it.</summary>
    public static async Task<ClientIdentity?> AuthenticateAsync(HttpContext http, LlmOperation operation, GatewayCallerAuthenticator callers, AuditRecorder audit)
    {
        var result = await callers.AuthenticateAsync(http);
        if (result.Succeeded && CallerIdentities.From(result.Principal) is { } client)
        {
            http.User = result.Principal;
            return client;
        }

        var error = new LlmError(StatusCodes.Status401Unauthorized, "invalid_api_key", result.Failure is null
            ? "Authentication required: send the gateway API key as 'Authorization: Bearer <key>' or 'x-api-key'."
            : callers.IsBearer(http) ? result.Failure.Message : "Invalid API key.");
        http.Response.Headers.WWWAuthenticate = "Bearer";
        await error.WriteAsync(http, operation.Api);
        audit.RecordUnauthenticated(operation.Method, http.TraceIdentifier, null, http.Response.ContentLength ?? 0, error.Message);
        return null;
    }
}
