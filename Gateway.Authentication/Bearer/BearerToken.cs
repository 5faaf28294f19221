using Microsoft.AspNetCore.Http;

namespace Gateway.Authentication.Bearer;

/// <summary>Reads <c>Authorization: Bearer</c> credentials and tells a JWT (three base64url parts) from an API key.</summary>
internal static class BearerToken
{
    /// <summary>The JWT in <c>Authorization: Bearer</c>, when the header holds one and no <c>X-Api-Key</c> is sent.</summary>
    public static bool TryReadJwt(IHeaderDictionary headers, out ReadOnlySpan<char> token)
    {
        token = default;
        if (headers.ContainsKey("X-Api-Key"))
        {
            return false;
        }

        var authorization = headers.Authorization;
        if (authorization.Count != 1 || authorization[0] is not { } value
            || !value.AsSpan().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var candidate = value.AsSpan("Bearer ".Length).Trim();
        if (!IsJwt(candidate))
        {
            return false;
        }

        token = candidate;
        return true;
    }

    /// <summary>A compact JWS: header, payload and signature, base64url, the header a JSON object (<c>eyJ</c>).</summary>
    public static bool IsJwt(ReadOnlySpan<char> value) =>
        value.StartsWith("eyJ", StringComparison.Ordinal)
        && value.Count('.') == 2
        && !value.ContainsAnyExcept(Base64UrlOrDot);

    private static readonly System.Buffers.SearchValues<char> Base64UrlOrDot =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.");
}
