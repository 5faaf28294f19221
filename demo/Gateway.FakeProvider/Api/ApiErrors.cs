using System.Text.Json;

namespace Gateway.FakeProvider.Api;

/// <summary>
/// Error bodies as the real APIs send them: OpenAI <c>{"error":{"message","type","param","code"}}</c>, Anthropic
/// <c>{"type":"error","error":{"type","message"}}</c>, with the type each API uses for the status.
/// </summary>
internal static class ApiErrors
{
    public static Task WriteAsync(HttpContext context, int status, string message) =>
        JsonBody.WriteAsync(context, status, (status, message, ApiShapes.Of(context.Request.Path)), static (writer, error) =>
        {
            var (status, message, shape) = error;
            if (shape == ApiShape.Anthropic)
            {
                writer.WriteString("type", "error");
                writer.WriteStartObject("error");
                writer.WriteString("type", AnthropicType(status));
                writer.WriteString("message", message);
                writer.WriteEndObject();
                return;
            }

            writer.WriteStartObject("error");
            writer.WriteString("message", message);
            writer.WriteString("type", OpenAIType(status));
            writer.WriteNull("param");
            WriteOpenAICode(writer, status);
            writer.WriteEndObject();
        });

    private static string AnthropicType(int status) => status switch
    {
        400 or 413 or 422 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        < 500 => "invalid_request_error",
        _ => "api_error",
    };

    private static string OpenAIType(int status) => status switch
    {
        401 or 403 => "invalid_request_error",
        429 => "requests",
        >= 500 => "server_error",
        _ => "invalid_request_error",
    };

    private static void WriteOpenAICode(Utf8JsonWriter writer, int status)
    {
        var code = status switch
        {
            401 => "invalid_api_key",
            404 => "model_not_found",
            429 => "rate_limit_exceeded",
            _ => null,
        };
        if (code is null)
        {
            writer.WriteNull("code");
        }
        else
        {
            writer.WriteString("code", code);
        }
    }
}
