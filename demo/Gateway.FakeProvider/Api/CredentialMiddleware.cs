using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Gateway.FakeProvider.Api;

/// <summary>
/// With <see cref="FakeProviderOptions.ApiKey"/> set, answers 401 in the API's shape unless the request carries the
/// key as the API takes it: <c>Authorization: Bearer</c> (OpenAI); <c>x-api-key</c> or a bearer token (Anthropic,
/// whose .NET SDK sends its key as a bearer token); either for <c>/v1/models</c>, which both APIs have.
/// </summary>
internal sealed class CredentialMiddleware(RequestDelegate next, IOptions<FakeProviderOptions> options)
{
    private const string BearerPrefix = "Bearer ";

    private readonly byte[]? _key = options.Value.ApiKey is { Length: > 0 } key ? Encoding.UTF8.GetBytes(key) : null;

    public Task InvokeAsync(HttpContext context)
    {
        if (_key is null || IsAuthorized(context.Request))
        {
            return next(context);
        }

        return ApiErrors.WriteAsync(context, StatusCodes.Status401Unauthorized, "Invalid or missing API key.");
    }

    private bool IsAuthorized(HttpRequest request)
    {
        if (Matches(BearerToken(request)))
        {
            return true;
        }

        var path = request.Path;
        return (ApiShapes.Of(path) == ApiShape.Anthropic || path.StartsWithSegments("/v1/models", StringComparison.OrdinalIgnoreCase))
            && Matches(request.Headers["x-api-key"].ToString());
    }

    private static string? BearerToken(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase) ? authorization[BearerPrefix.Length..] : null;
    }

    private bool Matches(string? presented) =>
        presented is { Length: > 0 } && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), _key);
}
