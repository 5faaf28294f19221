using Microsoft.Extensions.Primitives;

namespace Gateway.Proxy.Mcp.Http;

/// <summary>Which answer formats a request's <c>Accept</c> header allows.</summary>
[Flags]
internal enum AnswerFormats
{
    None = 0,
    Json = 1,
    EventStream = 2,
}

internal static class AcceptHeader
{
    /// <summary>
    /// Read as spans rather than through <c>MediaTypeHeaderValue</c>, which allocates a parsed object per listed type
    /// on every call; quality values are ignored.
    /// </summary>
    public static AnswerFormats Negotiate(StringValues accept)
    {
        var result = AnswerFormats.None;
        foreach (var value in accept)
        {
            foreach (var range in (value ?? "").AsSpan().Split(','))
            {
                var type = MediaTypes.Of(value.AsSpan()[range]);
                if (type.Equals(MediaTypes.Json, StringComparison.OrdinalIgnoreCase)
                    || type.Equals("application/*", StringComparison.OrdinalIgnoreCase) || type.SequenceEqual("*/*"))
                {
                    result |= AnswerFormats.Json;
                }
                else if (type.Equals(MediaTypes.EventStream, StringComparison.OrdinalIgnoreCase))
                {
                    result |= AnswerFormats.EventStream;
                }
            }
        }

        return result;
    }
}
