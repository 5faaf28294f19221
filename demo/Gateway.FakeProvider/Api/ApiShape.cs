namespace Gateway.FakeProvider.Api;

/// <summary>Which provider API a path belongs to: it decides the shape of error bodies and which credential header counts.</summary>
internal enum ApiShape
{
    OpenAI,
    Anthropic,
}

internal static class ApiShapes
{
    public const string MessagesPath = "/v1/messages";

    public static ApiShape Of(PathString path) =>
        path.StartsWithSegments(MessagesPath, StringComparison.OrdinalIgnoreCase) ? ApiShape.Anthropic : ApiShape.OpenAI;
}
