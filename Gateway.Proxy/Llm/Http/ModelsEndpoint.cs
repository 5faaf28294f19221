using System.Text.Json;
using Gateway.Authentication;
using Gateway.Contracts.Messages;
using Gateway.Proxy.Audit;
using Gateway.Proxy.Llm.Routing;
using Gateway.Proxy.Pipeline;

namespace Gateway.Proxy.Llm.Http;

/// <summary>
/// <c>GET /v1/models</c>: the models this caller may use, in OpenAI's list shape, or in Anthropic's when the caller
/// sends <c>anthropic-version</c> (as the Anthropic SDKs do). Answered from configuration; no provider is asked.
/// </summary>
public sealed class ModelsEndpoint(GatewayCallerAuthenticator callers, ModelRoutes routes, PolicyStages stages, AuditRecorder audit)
{
    public async Task HandleAsync(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        var operation = LlmOperation.Models;
        if (await LlmCaller.AuthenticateAsync(http, operation, callers, audit) is not { } client)
        {
            return;
        }

        var models = routes.All
            .Where(r => stages.IsAllowed(client, CatalogItemKind.Model, r.Name))
            .Select(r => r.Name)
            .Order(StringComparer.Ordinal)
            .ToList();
        var anthropic = http.Request.Headers.ContainsKey("anthropic-version");
        var body = anthropic ? AnthropicList(models) : OpenAIList(models);
        http.Response.ContentType = "application/json";
        http.Response.ContentLength = body.Length;
        await http.Response.Body.WriteAsync(body, http.RequestAborted);

        var context = new CallContext { Method = operation.Method, Client = client, RequestId = http.TraceIdentifier };
        audit.RecordLlm(context, AuditDecision.Allowed, AuditStatus.Ok, null, body.Length, null, null, null);
    }

    private static byte[] OpenAIList(List<string> models) => Write(writer =>
    {
        writer.WriteString("object", "list");
        writer.WriteStartArray("data");
        foreach (var model in models)
        {
            writer.WriteStartObject();
            writer.WriteString("id", model);
            writer.WriteString("object", "model");
            writer.WriteNumber("created", 0);
            writer.WriteString("owned_by", "gateway");
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    });

    private static byte[] AnthropicList(List<string> models) => Write(writer =>
    {
        writer.WriteStartArray("data");
        foreach (var model in models)
        {
            writer.WriteStartObject();
            writer.WriteString("type", "model");
            writer.WriteString("id", model);
            writer.WriteString("display_name", model);
            writer.WriteString("created_at", "1970-01-01T00:00:00Z");
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteBoolean("has_more", false);
        if (models.Count > 0)
        {
            writer.WriteString("first_id", models[0]);
            writer.WriteString("last_id", models[^1]);
        }
        else
        {
            writer.WriteNull("first_id");
            writer.WriteNull("last_id");
        }
    });

    private static byte[] Write(Action<Utf8JsonWriter> writeProperties)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writeProperties(writer);
            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
