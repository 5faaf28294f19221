using System.Text.Encodings.Web;
using System.Text.Json;
using Gateway.Contracts;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Gateway.Authentication;

/// <summary>
/// ASP.NET Core authentication for gateway clients. Failures are answered as JSON-RPC errors
/// (<see cref="GatewayErrorCodes.Unauthenticated"/>, <see cref="GatewayErrorCodes.Forbidden"/>) so MCP clients and
/// admin tools see the same shape everywhere.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyDirectory directory)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync() => directory.Authenticate(Request.Headers);

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        WriteErrorAsync(Context, StatusCodes.Status401Unauthorized, GatewayErrorCodes.Unauthenticated,
            "Authentication required: send an API key in 'Authorization: Bearer <key>' or 'X-Api-Key'.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteErrorAsync(Context, StatusCodes.Status403Forbidden, GatewayErrorCodes.Forbidden,
            "The caller's roles do not allow this operation.");

    /// <summary>Writes <c>{"jsonrpc":"2.0","id":null,"error":{"code":..,"message":..}}</c> with the status code.</summary>
    public static async Task WriteErrorAsync(HttpContext context, int statusCode, int code, string message)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "application/json";
        if (statusCode == StatusCodes.Status401Unauthorized && context.Response.Headers.WWWAuthenticate.Count == 0)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
        }

        await using var writer = new Utf8JsonWriter(context.Response.Body);
        writer.WriteStartObject();
        writer.WriteString("jsonrpc", "2.0");
        writer.WriteNull("id");
        writer.WriteStartObject("error");
        writer.WriteNumber("code", code);
        writer.WriteString("message", message);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}
