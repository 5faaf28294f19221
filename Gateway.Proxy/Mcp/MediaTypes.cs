namespace Gateway.Proxy.Mcp;

/// <summary>
/// Media types read from header values as spans. <c>MediaTypeHeaderValue</c> would allocate a parsed object per value
/// on every call, and only the type itself decides anything here (parameters such as <c>charset</c> are ignored).
/// </summary>
internal static class MediaTypes
{
    public const string Json = "application/json";
    public const string EventStream = "text/event-stream";

    /// <summary>The media type of one header element: what comes before its parameters, trimmed.</summary>
    public static ReadOnlySpan<char> Of(ReadOnlySpan<char> element)
    {
        var parameters = element.IndexOf(';');
        return (parameters < 0 ? element : element[..parameters]).Trim();
    }

    /// <summary>Whether the media type of <paramref name="headerValue"/> is <paramref name="mediaType"/>, ignoring case.</summary>
    public static bool Is(string? headerValue, string mediaType) =>
        headerValue is not null && Of(headerValue).Equals(mediaType, StringComparison.OrdinalIgnoreCase);
}
