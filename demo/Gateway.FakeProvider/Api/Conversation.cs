using System.Text;
using System.Text.Json;

namespace Gateway.FakeProvider.Api;

/// <summary>
/// The fake's deterministic "model": the reply is <c>echo: </c> + the text of the last user message; a token is a
/// whitespace-separated word (at least 1 per prompt), and the reply streams one word per event, so
/// <c>completion_tokens</c> equals the number of content deltas.
/// </summary>
internal static class Conversation
{
    public const string ReplyPrefix = "echo: ";

    /// <summary>The model named by <c>model</c>, or null when it is missing or not a non-empty string.</summary>
    public static string? Model(JsonElement request) =>
        request.TryGetProperty("model", out var model) && model.ValueKind == JsonValueKind.String && model.GetString() is { Length: > 0 } name
            ? name
            : null;

    /// <summary>Whether <c>stream</c> is <c>true</c>.</summary>
    public static bool Streams(JsonElement request) =>
        request.TryGetProperty("stream", out var stream) && stream.ValueKind == JsonValueKind.True;

    /// <summary>The reply to <paramref name="messages"/> (a JSON array) and the prompt's token count, system text included.</summary>
    public static (string Reply, int PromptTokens) Answer(JsonElement messages, JsonElement? system = null)
    {
        var lastUserText = string.Empty;
        var promptTokens = system is { } systemContent ? CountWords(TextOf(systemContent)) : 0;
        foreach (var message in messages.EnumerateArray())
        {
            if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("content", out var content))
            {
                continue;
            }

            var text = TextOf(content);
            promptTokens += CountWords(text);
            if (message.TryGetProperty("role", out var role) && role.ValueKind == JsonValueKind.String && role.ValueEquals("user"))
            {
                lastUserText = text;
            }
        }

        return (ReplyPrefix + lastUserText, Math.Max(1, promptTokens));
    }

    /// <summary>Text of a content that is a string or an array of parts (<c>{"type":"text","text":...}</c>; other parts carry no text).</summary>
    public static string TextOf(JsonElement content)
    {
        if (content.ValueKind == JsonValueKind.String)
        {
            return content.GetString()!;
        }

        if (content.ValueKind != JsonValueKind.Array)
        {
            return string.Empty;
        }

        var text = new StringBuilder();
        foreach (var part in content.EnumerateArray())
        {
            if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var partText) && partText.ValueKind == JsonValueKind.String)
            {
                text.Append(partText.GetString());
            }
        }

        return text.ToString();
    }

    public static int CountWords(string text)
    {
        var words = 0;
        var inWord = false;
        foreach (var character in text)
        {
            var isSpace = char.IsWhiteSpace(character);
            if (!isSpace && !inWord)
            {
                words++;
            }

            inWord = !isSpace;
        }

        return words;
    }

    /// <summary>
    /// The pieces a reply streams in: each word with the whitespace before it (trailing whitespace joins the last), so
    /// the pieces concatenate to the reply exactly.
    /// </summary>
    public static List<string> Pieces(string reply)
    {
        var pieces = new List<string>();
        var start = 0;
        var index = 0;
        while (index < reply.Length)
        {
            while (index < reply.Length && char.IsWhiteSpace(reply[index]))
            {
                index++;
            }

            while (index < reply.Length && !char.IsWhiteSpace(reply[index]))
            {
                index++;
            }

            pieces.Add(reply[start..index]);
            start = index;
        }

        if (pieces.Count > 1 && string.IsNullOrWhiteSpace(pieces[^1]))
        {
            pieces[^2] += pieces[^1];
            pieces.RemoveAt(pieces.Count - 1);
        }

        return pieces;
    }
}
