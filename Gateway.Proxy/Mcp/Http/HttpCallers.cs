using Gateway.Authentication;
using Gateway.Contracts;
using Gateway.Proxy.Audit;
using Gateway.Proxy.Pipeline;

namespace Gateway.Proxy.Mcp.Http;

/// <summary>
/// Who is calling <c>/mcp</c>, and the audited 401/403 for a caller that may not. The endpoint runs without the
/// authentication middleware (it is short-circuited, see MapMcpEndpoint), so this asks the caller authenticator
/// itself: same keys, tokens and answers as the Gateway scheme, without a handler instance and a request scope per call.
/// </summary>
internal sealed class HttpCallers(GatewayCallerAuthenticator callers, AuditRecorder audit)
{
    /// <summary>The caller, or null when refused (the answer is written and audited).</summary>
    public async Task<ClientIdentity?> AuthenticateAsync(HttpContext http)
    {
        var result = await callers.AuthenticateAsync(http);
        if (result.Succeeded && CallerIdentities.From(result.Principal) is { } client)
        {
            http.User = result.Principal;
            var missing = GatewayCallerAuthenticator.MissingScopes(result.Principal);
            if (!missing.Any())
            {
                return client;
            }

            await callers.Metadata.WriteInsufficientScopeAsync(http, missing);
            RecordRefusal(http, client, AuditStatus.Forbidden, GatewayErrorCodes.Forbidden, "insufficient_scope: the token lacks " + string.Join(' ', missing));
            return null;
        }

        var bearer = callers.IsBearer(http);
        var detail = result.Failure is null
            ? "Authentication required: send an OAuth access token or an API key in 'Authorization: Bearer', or an API key in 'X-Api-Key'."
            : bearer ? result.Failure.Message : "Invalid API key.";
        await callers.Metadata.WriteUnauthorizedAsync(http, detail, bearer && result.Failure is not null);
        RecordRefusal(http, null, AuditStatus.Unauthenticated, GatewayErrorCodes.Unauthenticated, detail);
        return null;
    }

    /// <summary>Audits a request refused at the edge; the body is not read yet, so the method comes from the Mcp-Method header when sent.</summary>
    private void RecordRefusal(HttpContext http, ClientIdentity? client, string status, int errorCode, string detail)
    {
        var method = http.Request.Headers[McpProtocol.MethodHeader].ToString();
        audit.RecordEdgeRefusal(
            client,
            method.Length > 0 ? method : "HTTP " + http.Request.Method,
            http.TraceIdentifier,
            http.Request.Headers[McpProtocol.SessionIdHeader].ToString() is { Length: > 0 } session ? session : null,
            status,
            errorCode,
            http.Response.ContentLength ?? 0,
            detail);
    }
}
