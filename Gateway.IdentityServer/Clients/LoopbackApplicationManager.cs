using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Core;
using OpenIddict.EntityFrameworkCore.Models;

namespace Gateway.IdentityServer.Clients;

/// <summary>
/// Redirect URIs as RFC 8252 §7.3 wants them for native apps: a registered loopback URI
/// (<c>http://127.0.0.1/callback</c>) matches the same URI on any port, since an MCP host listens on whatever port
/// is free. Every other URI must match exactly, as OpenIddict checks it.
/// </summary>
internal sealed class LoopbackApplicationManager(
    IOpenIddictApplicationCache<OpenIddictEntityFrameworkCoreApplication> cache,
    ILogger<OpenIddictApplicationManager<OpenIddictEntityFrameworkCoreApplication>> logger,
    IOptionsMonitor<OpenIddictCoreOptions> options,
    IOpenIddictApplicationStore<OpenIddictEntityFrameworkCoreApplication> store)
    : OpenIddictApplicationManager<OpenIddictEntityFrameworkCoreApplication>(cache, logger, options, store)
{
    public override async ValueTask<bool> ValidateRedirectUriAsync(OpenIddictEntityFrameworkCoreApplication application, string uri,
        CancellationToken cancellationToken = default)
    {
        if (await base.ValidateRedirectUriAsync(application, uri, cancellationToken))
        {
            return true;
        }

        if (!Uri.TryCreate(uri, UriKind.Absolute, out var requested) || requested.Scheme != Uri.UriSchemeHttp || !requested.IsLoopback)
        {
            return false;
        }

        foreach (var registered in await GetRedirectUrisAsync(application, cancellationToken))
        {
            if (Uri.TryCreate(registered, UriKind.Absolute, out var candidate) && candidate.IsLoopback
                && candidate.Scheme == requested.Scheme
                && string.Equals(candidate.Host, requested.Host, StringComparison.OrdinalIgnoreCase)
                && candidate.PathAndQuery == requested.PathAndQuery)
            {
                return true;
            }
        }

        return false;
    }
}
