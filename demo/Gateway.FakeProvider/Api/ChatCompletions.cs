using System.Text.Json;
using Gateway.FakeProvider.Faults;
using Gateway.FakeProvider.Streaming;
using Microsoft.Extensions.Options;

namespace Gateway.FakeProvider.Api;

/// <summary>
/// <c>POST /v1/chat/completions</c> in OpenAI's shape: a <c>chat.completion</c>, or with <c>"stream":true</c>
/// <c>chat.completion.chunk</c> events (role, one per word, finish; usage when <c>stream_options.include_usage</c>)
/// and <c>data: [DONE]</c>. Every object carries <c>x_fake_provider</c>, a field no SDK knows.
/// </summary>
internal static class ChatCompletions
{
    public static async Task HandleAsync(HttpContext context, IOptions<FakeProviderOptions> options, TimeProvider time, Pause pause)
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
            await ApiErrors.WriteAsync(context, StatusCodes.Status400BadRequest, "'model' (a string) and 'messages' (an array) are required.");
            return;
        }

        var (reply, promptTokens) = Conversation.Answer(messages);
        var completion = new Completion(
            "chatcmpl-" + Guid.NewGuid().ToString("N"),
            time.GetUtcNow().ToUnixTimeSeconds(),
            model,
            options.Value.Name!,
            reply,
            Conversation.Pieces(reply),
            promptTokens);

        if (!Conversation.Streams(request))
        {
            await JsonBody.WriteAsync(context, StatusCodes.Status200OK, completion, WriteCompletion);
            return;
        }

        var includeUsage = request.TryGetProperty("stream_options", out var streamOptions)
            && streamOptions.ValueKind == JsonValueKind.Object
            && streamOptions.TryGetProperty("include_usage", out var include)
            && include.ValueKind == JsonValueKind.True;
        await StreamAsync(context, pause, completion, includeUsage);
    }

    private static async Task StreamAsync(HttpContext context, Pause pause, Completion completion, bool includeUsage)
    {
        using var sse = new SseWriter(context, pause);
        await sse.StartAsync();
        await sse.WriteAsync(null, new Chunk(completion, includeUsage, Role: true), WriteChunk);
        foreach (var piece in completion.Pieces)
        {
            await sse.WriteAsync(null, new Chunk(completion, includeUsage, Content: piece), WriteChunk);
        }

        await sse.WriteAsync(null, new Chunk(completion, includeUsage, Finish: true), WriteChunk);
        if (includeUsage)
        {
            await sse.WriteAsync(null, new Chunk(completion, includeUsage, UsageOnly: true), WriteChunk);
        }

        await sse.WriteDoneAsync();
    }

    private static void WriteCompletion(Utf8JsonWriter writer, Completion completion)
    {
        WriteHeader(writer, completion, "chat.completion");
        writer.WriteStartArray("choices");
        writer.WriteStartObject();
        writer.WriteNumber("index", 0);
        writer.WriteStartObject("message");
        writer.WriteString("role", "assistant");
        writer.WriteString("content", completion.Reply);
        writer.WriteNull("refusal");
        writer.WriteEndObject();
        writer.WriteNull("logprobs");
        writer.WriteString("finish_reason", "stop");
        writer.WriteEndObject();
        writer.WriteEndArray();
        WriteUsage(writer, completion);
        writer.WriteString("x_fake_provider", completion.Provider);
    }

    private static void WriteChunk(Utf8JsonWriter writer, Chunk chunk)
    {
        var completion = chunk.Completion;
        WriteHeader(writer, completion, "chat.completion.chunk");
        writer.WriteStartArray("choices");
        if (!chunk.UsageOnly)
        {
            writer.WriteStartObject();
            writer.WriteNumber("index", 0);
            writer.WriteStartObject("delta");
            if (chunk.Role)
            {
                writer.WriteString("role", "assistant");
                writer.WriteString("content", string.Empty);
            }
            else if (chunk.Content is not null)
            {
                writer.WriteString("content", chunk.Content);
            }

            writer.WriteEndObject();
            writer.WriteNull("logprobs");
            if (chunk.Finish)
            {
                writer.WriteString("finish_reason", "stop");
            }
            else
            {
                writer.WriteNull("finish_reason");
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        if (chunk.UsageOnly)
        {
            WriteUsage(writer, completion);
        }
        else if (chunk.IncludeUsage)
        {
            writer.WriteNull("usage");
        }

        writer.WriteString("x_fake_provider", completion.Provider);
    }

    private static void WriteHeader(Utf8JsonWriter writer, Completion completion, string objectType)
    {
        writer.WriteString("id", completion.Id);
        writer.WriteString("object", objectType);
        writer.WriteNumber("created", completion.Created);
        writer.WriteString("model", completion.Model);
        writer.WriteNull("system_fingerprint");
    }

    private static void WriteUsage(Utf8JsonWriter writer, Completion completion)
    {
        writer.WriteStartObject("usage");
        writer.WriteNumber("prompt_tokens", completion.PromptTokens);
        writer.WriteNumber("completion_tokens", completion.Pieces.Count);
        writer.WriteNumber("total_tokens", completion.PromptTokens + completion.Pieces.Count);
        writer.WriteEndObject();
    }

    private sealed record Completion(string Id, long Created, string Model, string Provider, string Reply, List<string> Pieces, int PromptTokens);

    private readonly record struct Chunk(Completion Completion, bool IncludeUsage, bool Role = false, string? Content = null, bool Finish = false, bool UsageOnly = false);
}
