namespace Gateway.Contracts.Configuration;

/// <summary>The cross-field rules of the OAuth resource server and the backend credentials.</summary>
public sealed partial class GatewayOptionsValidator
{
    private static void ValidateOAuth(GatewayOptions options, List<string> errors)
    {
        var oauth = options.OAuth;
        if (oauth is null)
        {
            return;
        }

        var path = $"{Root}.OAuth";
        if (oauth.Resource is { } resource)
        {
            ValidateHttpUrl("Resource", $"{path}.Resource", resource, errors);
            if (resource.IsAbsoluteUri && resource.Fragment.Length > 0)
            {
                Report(errors, "Resource", $"{path}.Resource", "must not have a fragment (RFC 8707).");
            }
        }
        else if (oauth.Issuers.Count > 0)
        {
            Report(errors, "Resource", $"{path}.Resource", "is required when issuers are configured: it is the audience tokens must carry.");
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var issuers = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < oauth.Issuers.Count; i++)
        {
            var issuerPath = $"{path}.Issuers[{i}]";
            var issuer = oauth.Issuers[i];
            if (issuer is null)
            {
                Report(errors, "Issuers", issuerPath, "is empty.");
                continue;
            }

            if (!string.IsNullOrEmpty(issuer.Name) && !names.Add(issuer.Name))
            {
                Report(errors, "Name", $"{issuerPath}.Name", $"'{issuer.Name}' is already the name of another issuer.");
            }

            if (issuer.Issuer is { } url)
            {
                ValidateSecureUrl("Issuer", $"{issuerPath}.Issuer", url, errors);
                if (url.IsAbsoluteUri && !issuers.Add(url.AbsoluteUri.TrimEnd('/')))
                {
                    Report(errors, "Issuer", $"{issuerPath}.Issuer", $"'{url}' is already configured by another issuer.");
                }
            }

            if (issuer.MetadataAddress is { } metadata)
            {
                ValidateSecureUrl("MetadataAddress", $"{issuerPath}.MetadataAddress", metadata, errors);
            }

            ValidateNames("RequiredScopes", $"{issuerPath}.RequiredScopes", issuer.RequiredScopes, errors);
            ValidateRoleReferences("DefaultRoles", $"{issuerPath}.DefaultRoles", issuer.DefaultRoles, options, errors);
        }

        ValidateNames("ScopesSupported", $"{path}.ScopesSupported", oauth.ScopesSupported, errors);
    }

    private static void ValidateCredentials(GatewayOptions options, List<string> errors)
    {
        for (var i = 0; i < options.Backends.Count; i++)
        {
            if (options.Backends[i]?.Credential is not { } credential)
            {
                continue;
            }

            var path = $"{Root}.Backends[{i}].Credential";
            if (options.Backends[i].Transport == BackendTransport.Stdio && credential.Kind != CredentialKind.None)
            {
                Report(errors, "Credential", path, "applies to Http backends; give a Stdio backend its secret through Env or InheritEnv.");
            }

            ValidateCredential(path, credential, options.OAuth, errors);
        }
    }

    /// <summary>The rules of one credential; public so that other upstreams (LLM providers) can reuse them.</summary>
    public static void ValidateCredential(string path, BackendCredentialOptions credential, OAuthOptions? oauth, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(credential);
        ArgumentNullException.ThrowIfNull(errors);
        if (credential.Kind == CredentialKind.None)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(credential.SecretSetting))
        {
            Report(errors, "SecretSetting", $"{path}.SecretSetting", $"is required for a {credential.Kind} credential (the configuration key holding the secret).");
        }

        if (credential.Kind is CredentialKind.ClientCredentials or CredentialKind.TokenExchange)
        {
            if (credential.TokenEndpoint is null)
            {
                Report(errors, "TokenEndpoint", $"{path}.TokenEndpoint", $"is required for a {credential.Kind} credential.");
            }
            else
            {
                ValidateSecureUrl("TokenEndpoint", $"{path}.TokenEndpoint", credential.TokenEndpoint, errors);
            }

            if (string.IsNullOrWhiteSpace(credential.ClientId))
            {
                Report(errors, "ClientId", $"{path}.ClientId", $"is required for a {credential.Kind} credential.");
            }

            ValidateNames("Scopes", $"{path}.Scopes", credential.Scopes, errors);
        }

        if (credential.Kind == CredentialKind.TokenExchange && oauth is { Enabled: false })
        {
            Report(errors, "Kind", $"{path}.Kind", "TokenExchange needs OAuth callers: configure OAuth.Resource and OAuth.Issuers.");
        }
    }

    /// <summary>https anywhere; plain http only on loopback, where no one can read the token on the way.</summary>
    private static void ValidateSecureUrl(string member, string path, Uri url, List<string> errors)
    {
        ValidateHttpUrl(member, path, url, errors);
        if (url.IsAbsoluteUri && url.Scheme == Uri.UriSchemeHttp && !url.IsLoopback)
        {
            Report(errors, member, path, $"must use https unless it is on loopback (was '{url}').");
        }
    }

    /// <summary>Scope names: 1 to 128 printable characters without spaces or quotes (RFC 6749 scope-token).</summary>
    private static void ValidateNames(string member, string path, List<string> names, List<string> errors)
    {
        for (var i = 0; i < names.Count; i++)
        {
            var name = names[i];
            if (string.IsNullOrEmpty(name) || name.Length > 128 || name.Any(c => c <= ' ' || c > '~' || c is '"' or '\\'))
            {
                Report(errors, member, $"{path}[{i}]", $"is not a scope name: 1 to 128 printable characters, no space, quote or backslash (was '{name}').");
            }
        }
    }
}
