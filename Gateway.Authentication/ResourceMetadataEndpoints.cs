using Gateway.Authentication.Bearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Authentication;

public static class ResourceMetadataEndpoints
{
    /// <summary>
    /// Maps the protected resource metadata (RFC 9728) at <c>/.well-known/oauth-protected-resource</c> and under it for
    /// any resource path (<c>…/mcp</c>, the form MCP hosts ask for first). Anonymous; 404 while OAuth is off.
    /// </summary>
    public static IEndpointRouteBuilder MapProtectedResourceMetadata(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var metadata = endpoints.ServiceProvider.GetRequiredService<ResourceMetadata>();
        endpoints.MapGet(ResourceMetadata.WellKnownPath, metadata.WriteDocumentAsync).AllowAnonymous().ShortCircuit();
        endpoints.MapGet(ResourceMetadata.WellKnownPath + "/{**resource}", metadata.WriteDocumentAsync).AllowAnonymous().ShortCircuit();
        return endpoints;
    }
}
