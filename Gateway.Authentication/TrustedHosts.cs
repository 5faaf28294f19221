using Gateway.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Gateway.Authentication;

/// <summary>Which Host and Origin values the admin APIs answer (section <c>Admin</c>).</summary>
public sealed class TrustedHostOptions
{
    public const string SectionName = "Admin";

    /// <summary>Host names the admin APIs answer; <c>*</c> for any. Default: loopback and this machine's name; set it when the APIs are reached under another name (a container platform's ingress).</summary>
    public List<string> AllowedHosts { get; set; } = [];

    /// <summary>Browser origins allowed to call the admin APIs; <c>*</c> for any. Default: none besides the allowed hosts themselves.</summary>
    public List<string> AllowedOrigins { get; set; } = [];
}

/// <summary>
/// DNS-rebinding protection for the admin APIs, as <c>/mcp</c> has it: a page that makes a browser call the gateway
/// under a name of its own sends that name as Host (and its Origin); such requests get 403 before authentication.
/// </summary>
public static class TrustedHosts
{
    /// <summary>Loopback, and this machine's name: a monitor replica listening on a wildcard address advertises it to the others.</summary>
    private static readonly string[] s_defaults = ["localhost", "127.0.0.1", "[::1]", "::1", Environment.MachineName];

    /// <summary>Refuses requests whose Host or Origin is not trusted (<see cref="TrustedHostOptions"/>) with 403.</summary>
    public static TBuilder RequireTrustedHost<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddEndpointFilter(async (context, next) =>
        {
            var options = context.HttpContext.RequestServices.GetRequiredService<IOptionsMonitor<TrustedHostOptions>>().CurrentValue;
            if (IsTrusted(context.HttpContext.Request, options))
            {
                return await next(context);
            }

            await ApiKeyAuthenticationHandler.WriteErrorAsync(context.HttpContext, StatusCodes.Status403Forbidden, GatewayErrorCodes.Forbidden,
                "Forbidden: Host or Origin is not allowed (DNS rebinding protection).");
            return Results.Empty;
        });
        return builder;
    }

    public static bool IsTrusted(HttpRequest request, TrustedHostOptions options)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(options);
        IReadOnlyList<string> hosts = options.AllowedHosts.Count > 0 ? options.AllowedHosts : s_defaults;
        if (!Matches(hosts, request.Host.Host))
        {
            return false;
        }

        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            return true;
        }

        if (Matches(options.AllowedOrigins, origin.TrimEnd('/')))
        {
            return true;
        }

        return Uri.TryCreate(origin, UriKind.Absolute, out var uri) && Matches(hosts, uri.Host);
    }

    private static bool Matches(IReadOnlyList<string> allowed, string value)
    {
        foreach (var candidate in allowed)
        {
            if (candidate == "*" || string.Equals(candidate, value, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
