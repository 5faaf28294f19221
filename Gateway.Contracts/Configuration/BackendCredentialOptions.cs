using System.ComponentModel.DataAnnotations;

namespace Gateway.Contracts.Configuration;

/// <summary>How the gateway proves itself to an upstream (an MCP backend, later an LLM provider).</summary>
public enum CredentialKind
{
    /// <summary>No credential is sent.</summary>
    None,

    /// <summary>A static secret in a header (<see cref="BackendCredentialOptions.Header"/>), read from configuration.</summary>
    Header,

    /// <summary>An access token from an OAuth client credentials grant, cached and refreshed before it expires.</summary>
    ClientCredentials,

    /// <summary>An RFC 8693 token exchange of the calling user's token for one meant for the upstream (OAuth callers only).</summary>
    TokenExchange,
}

/// <summary>
/// The gateway's own credential toward one upstream. The client's token is never passed on: each upstream gets
/// this credential instead. Secrets are never written here: <see cref="SecretSetting"/> names the configuration key
/// (an Aspire parameter, an environment variable, a secret store entry) that holds them.
/// </summary>
public sealed class BackendCredentialOptions
{
    /// <summary>Which credential. Default: <see cref="CredentialKind.None"/>.</summary>
    [EnumDataType(typeof(CredentialKind), ErrorMessage = "The field {0} must be None, Header, ClientCredentials or TokenExchange.")]
    public CredentialKind Kind { get; set; }

    /// <summary>
    /// Configuration key of the secret: the header value for <see cref="CredentialKind.Header"/>, the client secret
    /// for the OAuth kinds, e.g. <c>Credentials:weather</c> (environment <c>Credentials__weather</c>).
    /// </summary>
    [RegularExpression(@"^[A-Za-z0-9_.:-]{1,256}$")]
    public string? SecretSetting { get; set; }

    /// <summary>Header the credential goes in. Default: <c>Authorization</c>.</summary>
    [Required, RegularExpression("^[A-Za-z0-9-]{1,64}$")]
    public string Header { get; set; } = "Authorization";

    /// <summary>
    /// Scheme put before a <see cref="CredentialKind.Header"/> secret (<c>Bearer</c> gives <c>Bearer &lt;secret&gt;</c>); empty sends
    /// the secret alone. Default: <c>Bearer</c>. OAuth kinds always send <c>Bearer &lt;token&gt;</c>.
    /// </summary>
    [RegularExpression("^[A-Za-z0-9-]{0,32}$")]
    public string Scheme { get; set; } = "Bearer";

    /// <summary>Token endpoint for the OAuth kinds, absolute http(s).</summary>
    public Uri? TokenEndpoint { get; set; }

    /// <summary>The gateway's client id at <see cref="TokenEndpoint"/>.</summary>
    public string? ClientId { get; set; }

    /// <summary>Scopes asked for (space-joined). Default: none.</summary>
    public List<string> Scopes { get; set; } = [];

    /// <summary>RFC 8707 <c>resource</c> (and, for token exchange, <c>audience</c>) asked for: the upstream's URI. Default: none.</summary>
    public string? Resource { get; set; }

    /// <summary>How long before expiry a cached token is replaced, 0 to 10 min. Default: 60 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:10:00")]
    public TimeSpan RefreshBeforeExpiry { get; set; } = TimeSpan.FromSeconds(60);
}
