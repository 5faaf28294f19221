using Microsoft.AspNetCore.Authorization;

namespace Gateway.Authentication;

/// <summary>Part of every gateway policy: a bearer token must carry the scopes its issuer requires (API keys have none to lack).</summary>
public sealed class RequiredScopes : IAuthorizationRequirement
{
    public static readonly RequiredScopes Instance = new();

    private RequiredScopes()
    {
    }
}

internal sealed class RequiredScopesHandler : AuthorizationHandler<RequiredScopes>
{
    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, RequiredScopes requirement)
    {
        if (!context.User.HasClaim(c => c.Type == GatewayAuth.MissingScopeClaim))
        {
            context.Succeed(requirement);
        }

        return Task.CompletedTask;
    }
}
