using System.Text.Json;
using Gateway.FakeProvider.Faults;
using Gateway.FakeProvider.Streaming;
using Microsoft.Extensions.Options;

namespace Gateway.FakeProvider.Api;

/// <summary>
/// <c>POST /v1/messages</c> in Anthropic's shape (with or without an <c>anthropic-version</c> header): a
/// <c>message</c> with one text block, or with <c>"stream":true</c> the named events <c>message_start</c>,
/// <c>content_block_start</c>, <c>ping</c>, one <c>content_block_delta</c> per word, <c>content_block_stop</c>,
/// <c>message_delta</c>, <c>message_stop</c>.
/// </summary>
internal static class Messages
{
    public static async Task HandleAsync(HttpContext context, IOptions<FakeProviderOptions> options, Pause pause)
    {
        using var document = await JsonBody.ReadObjectAsync(context);
        if (document is null)
        {
            return;
        }

        var request = document.RootElement;
        var model = Conversation.Model(request);
        if (model is null || !request.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
        {
            await ApiErrors.WriteAsync(context, StatusCodes.Status400BadRequest, "model: Field required (a string); messages: Field required (an array).");
            return;
        }

        JsonElement? system = request.TryGetProperty("system", out var systemContent) ? systemContent : null;
        var (reply, inputTokens) = Conversation.Answer(messages, system);
        var message = new Message("msg_fake" + Guid.NewGuid().ToString("N"), model, options.Value.Name!, reply, Conversation.Pieces(reply), inputTokens);
        if (!Conversation.Streams(request))
        {
            await JsonBody.WriteAsync(context, StatusCodes.Status200OK, message, WriteMessage);
            return;
        }

        await StreamAsync(context, pause, message);
    }

    private static async Task StreamAsync(HttpContext context, Pause pause, Message message)
    {
        using var sse = new SseWriter(context, pause);
        await sse.StartAsync();
        await sse.WriteAsync("message_start", message, static (writer, message) =>
        {
            writer.WriteString("type", "message_start");
            writer.WriteStartObject("message");
            WriteHeader(writer, message);
            writer.WriteStartArray("content");
            writer.WriteEndArray();
            writer.WriteNull("stop_reason");
            writer.WriteNull("stop_sequence");
            WriteUsage(writer, message.InputTokens, 1);
            writer.WriteEndObject();
        });
        await sse.WriteAsync("content_block_start", message, static (writer, _) =>
        {
            writer.WriteString("type", "content_block_start");
            writer.WriteNumber("index", 0);
            writer.WriteStartObject("content_block");
            writer.WriteString("type", "text");
            writer.WriteString("text", string.Empty);
            writer.WriteEndObject();
        });
        await sse.WriteAsync("ping", message, static (writer, _) => writer.WriteString("type", "ping"));
        foreach (var piece in message.Pieces)
        {
            await sse.WriteAsync("content_block_delta", piece, static (writer, piece) =>
            {
                writer.WriteString("type", "content_block_delta");
                writer.WriteNumber("index", 0);
                writer.WriteStartObject("delta");
                writer.WriteString("type", "text_delta");
                writer.WriteString("text", piece);
                writer.WriteEndObject();
            });
        }

        await sse.WriteAsync("content_block_stop", message, static (writer, _) =>
        {
            writer.WriteString("type", "content_block_stop");
            writer.WriteNumber("index", 0);
        });
        await sse.WriteAsync("message_delta", message, static (writer, message) =>
        {
            writer.WriteString("type", "message_delta");
            writer.WriteStartObject("delta");
            writer.WriteString("stop_reason", "end_turn");
            writer.WriteNull("stop_sequence");
            writer.WriteEndObject();
            writer.WriteStartObject("usage");
            writer.WriteNumber("output_tokens", message.Pieces.Count);
            writer.WriteEndObject();
        });
        await sse.WriteAsync("message_stop", message, static (writer, _) => writer.WriteString("type", "message_stop"));
    }

    private static void WriteMessage(Utf8JsonWriter writer, Message message)
    {
        WriteHeader(writer, message);
        writer.WriteStartArray("content");
        writer.WriteStartObject();
        writer.WriteString("type", "text");
        writer.WriteString("text", message.Reply);
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteString("stop_reason", "end_turn");
        writer.WriteNull("stop_sequence");
        WriteUsage(writer, message.InputTokens, message.Pieces.Count);
        writer.WriteString("x_fake_provider", message.Provider);
    }

    private static void WriteHeader(Utf8JsonWriter writer, Message message)
    {
        writer.WriteString("id", message.Id);
        writer.WriteString("type", "message");
        writer.WriteString("role", "assistant");
        writer.WriteString("model", message.Model);
    }

    private static void WriteUsage(Utf8JsonWriter writer, int inputTokens, int outputTokens)
    {
        writer.WriteStartObject("usage");
        writer.WriteNumber("input_tokens", inputTokens);
        writer.WriteNumber("output_tokens", outputTokens);
        writer.WriteEndObject();
    }

    private sealed record Message(string Id, string Model, string Provider, string Reply, List<string> Pieces, int InputTokens);
}
