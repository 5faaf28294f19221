using System.ComponentModel.DataAnnotations;

namespace Gateway.IdentityServer;

/// <summary>The demo authorization server's settings (section <c>Identity</c>); the AppHost fills them in.</summary>
public sealed class IdentityServerOptions
{
    public const string SectionName = "Identity";

    /// <summary>The issuer URL tokens carry. Default: the address the server is called at.</summary>
    public Uri? Issuer { get; set; }

    /// <summary>Folder holding the signing and encryption keys (created on first start, reused afterwards). Default: <c>keys</c> under the working folder.</summary>
    public string? KeyDirectory { get; set; }

    /// <summary>The gateway's resource URI: the audience of every access token this server issues.</summary>
    [Required]
    public Uri? GatewayResource { get; set; }

    /// <summary>Other resources a token may be asked for (RFC 8707), e.g. a backend's URI for token exchange.</summary>
    public List<Uri> Resources { get; set; } = [];

    /// <summary>Scopes clients may ask for. Default: <c>mcp:tools</c>.</summary>
    public List<string> Scopes { get; set; } = ["mcp:tools"];

    [Required]
    public DemoUser User { get; set; } = new();

    /// <summary>The public client MCP hosts use (authorization code with PKCE).</summary>
    public string McpHostClientId { get; set; } = "mcp-host";

    /// <summary>Redirect URIs of <see cref="McpHostClientId"/>; loopback ones match on any port (RFC 8252 §7.3).</summary>
    public List<Uri> McpHostRedirectUris { get; set; } = [new("http://127.0.0.1/callback"), new("http://localhost/callback")];

    /// <summary>Confidential clients (client credentials grant): agents, and the gateway itself toward its backends.</summary>
    public List<ConfidentialClient> Clients { get; set; } = [];
}

/// <summary>The one user who can sign in: the demo is about the flow, not a user store.</summary>
public sealed class DemoUser
{
    public string Name { get; set; } = "alice";

    /// <summary>Required to sign in; comes from an AppHost parameter.</summary>
    public string? Password { get; set; }

    public List<string> Roles { get; set; } = ["user"];
}

public sealed class ConfidentialClient
{
    [Required]
    public string ClientId { get; set; } = "";

    /// <summary>The client secret; comes from an AppHost parameter.</summary>
    [Required]
    public string Secret { get; set; } = "";

    /// <summary>Roles put in this client's own tokens (client credentials).</summary>
    public List<string> Roles { get; set; } = [];

    /// <summary>Whether the client may exchange a user's token for one meant for another resource (RFC 8693).</summary>
    public bool TokenExchange { get; set; }
}
