using System.Runtime.CompilerServices;
using System.Security.Claims;
using Gateway.Authentication;

namespace Gateway.Proxy.Pipeline;

/// <summary>The <see cref="ClientIdentity"/> an authenticated principal stands for, shared by every transport.</summary>
public static class CallerIdentities
{
    /// <summary>
    /// The identity of each authenticated principal. <see cref="ApiKeyDirectory"/> builds one principal per client and
    /// configuration, so this holds one entry per client; entries go with their principal after a reload.
    /// </summary>
    private static readonly ConditionalWeakTable<ClaimsPrincipal, ClientIdentity> s_identities = new();

    /// <summary>The client a principal stands for, looked up before its claims are read: a lookup allocates nothing.</summary>
    public static ClientIdentity? From(ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        if (s_identities.TryGetValue(principal, out var known))
        {
            return known;
        }

        return principal.GetClientId() is null
            ? null
            : s_identities.GetValue(principal, static principal => new ClientIdentity(
                principal.GetClientId()!,
                principal.FindAll(ClaimTypes.Role).Select(c => c.Value).ToArray(),
                principal.HasClaim(c => c.Type == GatewayAuth.AnonymousClaim),
                principal.GetUser()));
    }
}
