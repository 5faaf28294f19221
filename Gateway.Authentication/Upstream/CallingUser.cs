namespace Gateway.Authentication.Upstream;

/// <summary>
/// Who a backend request is made for, where a backend's credential is an RFC 8693 token exchange on the user's behalf:
/// inside a client's request, that user's access token (or none, for an API key: such a call is refused); outside any
/// request (catalog discovery, health), no caller, and the gateway uses its own client credentials. Set by the proxy's
/// endpoints only when such a backend is configured; read only by <see cref="UpstreamCredentials"/>, which exchanges the
/// token and never forwards it.
/// </summary>
public static class CallingUser
{
    private static readonly AsyncLocal<Caller?> s_caller = new();

    /// <summary>The caller of the current request, or null outside any client request.</summary>
    public static Caller? Current => s_caller.Value;

    public static void Set(string? token) => s_caller.Value = new Caller(token);

    /// <param name="Token">The user's access token; null for an API-key caller.</param>
    public sealed record Caller(string? Token)
    {
        // Never printed with the token.
        public override string ToString() => Token is null ? "caller without a token" : "caller with a token";
    }
}
