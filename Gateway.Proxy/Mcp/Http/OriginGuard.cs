namespace Gateway.Proxy.Mcp.Http;

/// <summary>
/// DNS-rebinding protection: a browser tricked into calling the gateway sends a foreign Host or Origin. Requests
/// without Origin (not from a browser) only need an allowed Host.
/// </summary>
internal static class OriginGuard
{
    public static bool IsAllowed(HttpRequest request, McpOptions options)
    {
        var hosts = options.AllowedHosts.Count > 0 ? (IReadOnlyList<string>)options.AllowedHosts : McpOptions.DefaultHosts;
        if (!Matches(hosts, request.Host.Host))
        {
            return false;
        }

        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            return true;
        }

        if (options.AllowedOrigins.Count > 0)
        {
            return options.AllowedOrigins.Contains("*") || options.AllowedOrigins.Contains(origin.TrimEnd('/'), StringComparer.OrdinalIgnoreCase);
        }

        return Uri.TryCreate(origin, UriKind.Absolute, out var uri) && Matches(hosts, uri.Host);
    }

    private static bool Matches(IReadOnlyList<string> allowed, string host)
    {
        foreach (var candidate in allowed)
        {
            if (candidate == "*" || string.Equals(candidate, host, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
