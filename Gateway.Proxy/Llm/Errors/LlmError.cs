using System.Globalization;
using System.Text.Json;
using Gateway.Contracts.Configuration;
using Gateway.Proxy.Pipeline;

namespace Gateway.Proxy.Llm.Errors;

/// <summary>
/// An error the gateway answers on the <c>/v1</c> endpoints, rendered in the caller's API shape: OpenAI's
/// <c>{"error":{"message","type","code"}}</c> or Anthropic's <c>{"type":"error","error":{"type","message"}}</c>.
/// </summary>
/// <param name="Status">The HTTP status; the error type follows from it in the caller's vocabulary (<see cref="TypeFor"/>).</param>
/// <param name="Code">The gateway's machine-readable code (OpenAI's <c>code</c>; Anthropic has none, so it prefixes the message).</param>
/// <param name="Message">For people.</param>
/// <param name="RetryAfter">Sent as <c>Retry-After</c> (whole seconds, rounded up) when set.</param>
public sealed record LlmError(int Status, string Code, string Message, TimeSpan? RetryAfter = null)
{
    /// <summary>The error for a pipeline refusal.</summary>
    public static LlmError From(Refusal refusal)
    {
        ArgumentNullException.ThrowIfNull(refusal);
        return refusal.Kind switch
        {
            RefusalKind.ShuttingDown => new(StatusCodes.Status503ServiceUnavailable, "shutting_down", refusal.Message),
            RefusalKind.AuditUnavailable => new(StatusCodes.Status503ServiceUnavailable, "audit_unavailable", refusal.Message),
            RefusalKind.Killed => new(StatusCodes.Status503ServiceUnavailable, "killed", refusal.Message),
            RefusalKind.RateLimited => new(StatusCodes.Status429TooManyRequests, "rate_limited", refusal.Message, refusal.RetryAfter),
            RefusalKind.TokenBudgetExhausted => new(StatusCodes.Status429TooManyRequests, "token_budget_exhausted", refusal.Message, refusal.RetryAfter),
            RefusalKind.Forbidden => new(StatusCodes.Status403Forbidden, "model_not_allowed", refusal.Message),
            RefusalKind.CircuitOpen => new(StatusCodes.Status503ServiceUnavailable, "circuit_open", refusal.Message),
            _ => new(StatusCodes.Status404NotFound, "model_not_found", refusal.Message),
        };
    }

    /// <summary>The error type for <paramref name="status"/> in <paramref name="api"/>'s vocabulary.</summary>
    public static string TypeFor(ProviderKind api, int status) => (api, status) switch
    {
        (_, 400 or 422) => "invalid_request_error",
        (_, 401) => "authentication_error",
        (_, 403) => "permission_error",
        (_, 404) => "not_found_error",
        (ProviderKind.Anthropic, 413) => "request_too_large",
        (ProviderKind.OpenAI, 413) => "invalid_request_error",
        (_, 429) => "rate_limit_error",
        (ProviderKind.Anthropic, 503 or 529) => "overloaded_error",
        (ProviderKind.Anthropic, _) => "api_error",
        (_, 503) => "service_unavailable",
        _ => "server_error",
    };

    /// <summary>The JSON body in <paramref name="api"/>'s shape.</summary>
    public byte[] ToJson(ProviderKind api)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            if (api == ProviderKind.Anthropic)
            {
                writer.WriteString("type", "error");
                writer.WriteStartObject("error");
                writer.WriteString("type", TypeFor(api, Status));
                writer.WriteString("message", $"{Code}: {Message}");
            }
            else
            {
                writer.WriteStartObject("error");
                writer.WriteString("message", Message);
                writer.WriteString("type", TypeFor(api, Status));
                writer.WriteString("code", Code);
                writer.WriteNull("param");
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Writes this error as the whole answer.</summary>
    public async Task WriteAsync(HttpContext http, ProviderKind api)
    {
        ArgumentNullException.ThrowIfNull(http);
        var body = ToJson(api);
        http.Response.StatusCode = Status;
        http.Response.ContentType = "application/json";
        http.Response.ContentLength = body.Length;
        if (RetryAfter is { } retryAfter)
        {
            http.Response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        if (api == ProviderKind.Anthropic)
        {
            http.Response.Headers["x-should-retry"] = Status is 429 or >= 500 ? "true" : "false";
        }

        await http.Response.Body.WriteAsync(body, http.RequestAborted);
    }

    /// <summary>This error as a server-sent event, to end a stream that broke after its first byte.</summary>
    public byte[] ToEvent(ProviderKind api) =>
        api == ProviderKind.Anthropic
            ? [.. "event: error\ndata: "u8, .. ToJson(api), .. "\n\n"u8]
            : [.. "data: "u8, .. ToJson(api), .. "\n\n"u8];
}
