namespace Gateway.Proxy.Backends.Credentials;

/// <summary>
/// Last handler before a backend's sockets: removes any <c>Authorization</c> a request might carry and sets the
/// backend's own credential. The proxy never copies a client's headers to a backend; this makes it a property of the
/// client rather than of each call site.
/// </summary>
internal sealed class CredentialHandler(string backend, UpstreamCredentials credentials, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = null;
        if (await credentials.GetAsync(backend, cancellationToken) is { } credential)
        {
            request.Headers.Remove(credential.Header);
            request.Headers.TryAddWithoutValidation(credential.Header, credential.Value);
        }

        return await base.SendAsync(request, cancellationToken);
    }
}
