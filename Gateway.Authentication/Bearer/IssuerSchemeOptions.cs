using Gateway.Contracts.Configuration;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;

namespace Gateway.Authentication.Bearer;

/// <summary>Configures the <c>Bearer:&lt;name&gt;</c> scheme of each issuer from the current gateway options.</summary>
internal sealed class IssuerSchemeOptions(IOptionsMonitor<GatewayOptions> options) : IConfigureNamedOptions<JwtBearerOptions>
{
    public void Configure(string? name, JwtBearerOptions jwt)
    {
        if (name is null || !name.StartsWith(GatewayAuth.BearerSchemePrefix, StringComparison.Ordinal))
        {
            return;
        }

        var oauth = options.CurrentValue.OAuth;
        var issuerName = name[GatewayAuth.BearerSchemePrefix.Length..];
        if (oauth.Issuers.FirstOrDefault(i => string.Equals(i.Name, issuerName, StringComparison.Ordinal)) is { } issuer)
        {
            IssuerScheme.Configure(jwt, issuer, oauth);
        }
    }

    public void Configure(JwtBearerOptions options) => Configure(Options.DefaultName, options);
}
