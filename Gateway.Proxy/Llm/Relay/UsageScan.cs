using System.Text.Json;

namespace Gateway.Proxy.Llm.Relay;

/// <summary>
/// What the gateway reads from a provider's JSON (a whole answer, or one event of a stream): the model that answered
/// and the token usage, in either API's names. Reading it also proves the JSON well-formed.
/// </summary>
/// <param name="Model">The top-level <c>model</c>, or an Anthropic <c>message_start</c>'s <c>message.model</c>.</param>
/// <param name="InputTokens"><c>usage.prompt_tokens</c> or <c>usage.input_tokens</c>.</param>
/// <param name="OutputTokens"><c>usage.completion_tokens</c> or <c>usage.output_tokens</c>.</param>
/// <param name="EmptyChoices">An OpenAI chunk with <c>"choices": []</c>: the usage-only chunk at the end of a stream.</param>
/// <param name="IsError">An error object (<c>{"error":..}</c>, or Anthropic's <c>"type":"error"</c>) in place of an answer.</param>
public readonly record struct UsageScan(string? Model, long? InputTokens, long? OutputTokens, bool EmptyChoices, bool IsError)
{
    /// <summary>Scans <paramref name="json"/>; false when it is not one well-formed JSON object.</summary>
    public static bool TryRead(ReadOnlySpan<byte> json, out UsageScan scan)
    {
        scan = default;
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            scan = ReadObject(ref reader, nested: false);
            while (reader.Read())
            {
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static UsageScan ReadObject(ref Utf8JsonReader reader, bool nested)
    {
        string? model = null;
        long? input = null, output = null;
        bool emptyChoices = false, isError = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var property = NameOf(ref reader, nested);
            reader.Read();
            switch (property)
            {
                case Property.Model when reader.TokenType == JsonTokenType.String:
                    model = reader.GetString();
                    break;
                case Property.Usage when reader.TokenType == JsonTokenType.StartObject:
                    (input, output) = ReadUsage(ref reader, input, output);
                    break;
                case Property.Message when reader.TokenType == JsonTokenType.StartObject:
                    // Anthropic's message_start carries the model and the input tokens one level down.
                    var message = ReadObject(ref reader, nested: true);
                    model ??= message.Model;
                    input ??= message.InputTokens;
                    output ??= message.OutputTokens;
                    break;
                case Property.Choices when reader.TokenType == JsonTokenType.StartArray:
                    reader.Read();
                    emptyChoices = reader.TokenType == JsonTokenType.EndArray;
                    SkipRestOfArray(ref reader);
                    break;
                case Property.Error:
                    isError = true;
                    reader.Skip();
                    break;
                case Property.Type when reader.TokenType == JsonTokenType.String:
                    isError |= reader.ValueTextEquals("error"u8);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        return new UsageScan(model, input, output, emptyChoices, isError);
    }

    private static Property NameOf(ref Utf8JsonReader reader, bool nested) =>
        reader.ValueTextEquals("model"u8) ? Property.Model
        : reader.ValueTextEquals("usage"u8) ? Property.Usage
        : nested ? Property.Other
        : reader.ValueTextEquals("message"u8) ? Property.Message
        : reader.ValueTextEquals("choices"u8) ? Property.Choices
        : reader.ValueTextEquals("error"u8) ? Property.Error
        : reader.ValueTextEquals("type"u8) ? Property.Type
        : Property.Other;

    private static (long? Input, long? Output) ReadUsage(ref Utf8JsonReader reader, long? input, long? output)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isInput = reader.ValueTextEquals("prompt_tokens"u8) || reader.ValueTextEquals("input_tokens"u8);
            var isOutput = reader.ValueTextEquals("completion_tokens"u8) || reader.ValueTextEquals("output_tokens"u8);
            reader.Read();
            if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var tokens) && tokens >= 0)
            {
                if (isInput)
                {
                    input = tokens;
                }
                else if (isOutput)
                {
                    output = tokens;
                }
            }
            else
            {
                reader.Skip();
            }
        }

        return (input, output);
    }

    private enum Property
    {
        Other,
        Model,
        Usage,
        Message,
        Choices,
        Error,
        Type,
    }

    private static void SkipRestOfArray(ref Utf8JsonReader reader)
    {
        // The reader sits on the array's first element, or on its end.
        while (reader.TokenType != JsonTokenType.EndArray)
        {
            reader.Skip();
            reader.Read();
        }
    }
}
