namespace Gateway.Authentication.Upstream;

/// <summary>
/// Last handler before a backend's sockets: removes any <c>Authorization</c> a request might carry and sets the
/// backend's own credential. The proxy never copies a client's headers to a backend; this makes it a property of the
/// client rather than of each call site. The backend is the client's own (the proxy: one client per backend) or the
/// request's <see cref="UpstreamCredentials.BackendOption"/> (the monitor: one client for every probe).
/// </summary>
public sealed class CredentialHandler : DelegatingHandler
{
    private readonly string? _backend;
    private readonly UpstreamCredentials _credentials;

    /// <summary>For a client whose requests name their backend, added to an <c>IHttpClientFactory</c> pipeline.</summary>
    public CredentialHandler(UpstreamCredentials credentials) => _credentials = credentials;

    /// <summary>For the client of one backend, in front of <paramref name="inner"/>.</summary>
    public CredentialHandler(string backend, UpstreamCredentials credentials, HttpMessageHandler inner)
        : base(inner)
    {
        _backend = backend;
        _credentials = credentials;
    }

    /// <remarks>
    /// A credential that needs no token fetch (none, or a static header) is set without an async step of its own:
    /// this runs on every backend call.
    /// </remarks>
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Headers.Authorization = null;
        var backend = _backend ?? (request.Options.TryGetValue(UpstreamCredentials.BackendOption, out var named) ? named : null);
        if (backend is null)
        {
            return base.SendAsync(request, cancellationToken);
        }

        var lookup = _credentials.GetAsync(backend, cancellationToken);
        if (!lookup.IsCompletedSuccessfully)
        {
            return SendAfterLookupAsync(request, lookup, cancellationToken);
        }

        SetCredential(request, lookup.Result);
        return base.SendAsync(request, cancellationToken);
    }

    private async Task<HttpResponseMessage> SendAfterLookupAsync(HttpRequestMessage request, ValueTask<(string Header, string Value)?> lookup,
        CancellationToken cancellationToken)
    {
        SetCredential(request, await lookup);
        return await base.SendAsync(request, cancellationToken);
    }

    private static void SetCredential(HttpRequestMessage request, (string Header, string Value)? credential)
    {
        if (credential is { } c)
        {
            request.Headers.Remove(c.Header);
            request.Headers.TryAddWithoutValidation(c.Header, c.Value);
        }
    }
}
