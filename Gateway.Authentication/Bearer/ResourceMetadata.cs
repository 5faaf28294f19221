using System.Text.Json;
using Gateway.Contracts;
using Gateway.Contracts.Configuration;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Gateway.Authentication.Bearer;

/// <summary>
/// The gateway's OAuth protected resource metadata (RFC 9728) and the <c>WWW-Authenticate</c> answers that point to
/// it, so an MCP host that gets 401 can discover the authorization server on its own.
/// </summary>
public sealed class ResourceMetadata(IOptionsMonitor<GatewayOptions> options)
{
    public const string WellKnownPath = "/.well-known/oauth-protected-resource";

    /// <summary>
    /// The metadata URL for the configured resource: the well-known path inserted before the resource's path
    /// (RFC 9728 §3.1), e.g. <c>https://gw/mcp</c> → <c>https://gw/.well-known/oauth-protected-resource/mcp</c>.
    /// Null when OAuth is off.
    /// </summary>
    public string? MetadataUrl => options.CurrentValue.OAuth is { Enabled: true, Resource: { } resource } ? UrlFor(resource) : null;

    public static string UrlFor(Uri resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var path = resource.AbsolutePath.TrimEnd('/');
        return resource.GetLeftPart(UriPartial.Authority) + WellKnownPath + path;
    }

    /// <summary>The <c>WWW-Authenticate</c> value: <c>Bearer</c> with the metadata URL and, when given, an RFC 6750 error.</summary>
    public string Challenge(string? error = null, string? description = null, string? scope = null)
    {
        var parts = new List<string>(4);
        if (MetadataUrl is { } url)
        {
            parts.Add($"resource_metadata=\"{url}\"");
        }

        if (error is not null)
        {
            parts.Add($"error=\"{error}\"");
        }

        if (description is not null)
        {
            // Quoted-string: the description is our own text, but quotes and backslashes are dropped all the same.
            parts.Add($"error_description=\"{description.Replace("\"", "", StringComparison.Ordinal).Replace("\\", "", StringComparison.Ordinal)}\"");
        }

        if (scope is not null)
        {
            parts.Add($"scope=\"{scope}\"");
        }

        return parts.Count == 0 ? "Bearer" : "Bearer " + string.Join(", ", parts);
    }

    /// <summary>401, with the challenge, as a JSON-RPC error; <paramref name="invalidToken"/> when a bearer token was sent and refused.</summary>
    public Task WriteUnauthorizedAsync(HttpContext context, string detail, bool invalidToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.Headers.WWWAuthenticate = Challenge(invalidToken ? "invalid_token" : null, invalidToken ? detail : null);
        return ApiKeyAuthenticationHandler.WriteErrorAsync(context, StatusCodes.Status401Unauthorized, GatewayErrorCodes.Unauthenticated, detail);
    }

    /// <summary>403 <c>insufficient_scope</c> naming the scopes to ask for (RFC 6750 §3.1).</summary>
    public Task WriteInsufficientScopeAsync(HttpContext context, IEnumerable<string> missing)
    {
        ArgumentNullException.ThrowIfNull(context);
        var scope = string.Join(' ', missing);
        context.Response.Headers.WWWAuthenticate = Challenge("insufficient_scope", "The token lacks a required scope.", scope);
        return ApiKeyAuthenticationHandler.WriteErrorAsync(context, StatusCodes.Status403Forbidden, GatewayErrorCodes.Forbidden,
            $"Insufficient scope: the token needs '{scope}'.");
    }

    /// <summary>The metadata document; 404 when OAuth is off.</summary>
    public async Task WriteDocumentAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var oauth = options.CurrentValue.OAuth;
        if (!oauth.Enabled)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        var scopes = oauth.ScopesSupported.Count > 0
            ? oauth.ScopesSupported
            : oauth.Issuers.SelectMany(i => i.RequiredScopes).Distinct(StringComparer.Ordinal).ToList();
        context.Response.ContentType = "application/json";
        context.Response.Headers.CacheControl = "max-age=300";
        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartObject();
        writer.WriteString("resource", oauth.Resource!.AbsoluteUri);
        writer.WriteStartArray("authorization_servers");
        foreach (var issuer in oauth.Issuers)
        {
            writer.WriteStringValue(issuer.Issuer!.AbsoluteUri);
        }

        writer.WriteEndArray();
        writer.WriteStartArray("scopes_supported");
        foreach (var scope in scopes)
        {
            writer.WriteStringValue(scope);
        }

        writer.WriteEndArray();
        writer.WriteStartArray("bearer_methods_supported");
        writer.WriteStringValue("header");
        writer.WriteEndArray();
        writer.WriteString("resource_name", "Gateway");
        writer.WriteEndObject();
    }
}
