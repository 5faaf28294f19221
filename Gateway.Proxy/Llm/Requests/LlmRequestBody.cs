using System.Buffers;
using System.Text.Json;

namespace Gateway.Proxy.Llm.Requests;

/// <summary>
/// A client's request body, read once: the fields the gateway acts on (<c>model</c>, <c>stream</c>,
/// <c>stream_options.include_usage</c>) and where they sit, so the body sent to a provider is the client's bytes with
/// only the model name (and, for usage, one small insertion) spliced in: nothing else is re-serialised, and fields
/// the gateway does not know pass through untouched.
/// </summary>
public sealed class LlmRequestBody
{
    private static readonly byte[] s_usageOptions = """"stream_options":{"include_usage":true},"""u8.ToArray();
    private static readonly byte[] s_includeUsage = """"include_usage":true"""u8.ToArray();
    private static readonly byte[] s_true = "true"u8.ToArray();
    private static readonly byte[] s_usageObject = """{"include_usage":true}"""u8.ToArray();

    private readonly Splice _model;
    private readonly Splice? _usage;

    private LlmRequestBody(ReadOnlyMemory<byte> utf8, string model, bool stream, bool clientAskedForUsage, Splice modelToken, Splice? usage)
    {
        Utf8 = utf8;
        Model = model;
        Stream = stream;
        ClientAskedForUsage = clientAskedForUsage;
        _model = modelToken;
        _usage = usage;
    }

    /// <summary>The body as the client sent it.</summary>
    public ReadOnlyMemory<byte> Utf8 { get; }

    /// <summary>The model the client asked for.</summary>
    public string Model { get; }

    /// <summary>Whether the client asked for a server-sent event stream.</summary>
    public bool Stream { get; }

    /// <summary>Whether the client itself asked for the usage chunk of an OpenAI stream (otherwise the gateway adds and removes it).</summary>
    public bool ClientAskedForUsage { get; }

    /// <summary>
    /// Reads a body: a JSON object with a string <c>model</c>, an optional boolean <c>stream</c> and an optional
    /// object <c>stream_options</c>. Null with a message for the client otherwise.
    /// </summary>
    public static LlmRequestBody? TryParse(ReadOnlyMemory<byte> utf8, out string? error)
    {
        try
        {
            return Parse(utf8, out error);
        }
        catch (JsonException ex)
        {
            error = $"The body is not valid JSON: {ex.Message}";
            return null;
        }
    }

    /// <summary>
    /// The body for one provider target: the client's bytes with <paramref name="upstreamModel"/> in place of the
    /// model and, when <paramref name="requestUsage"/> and the client did not ask, <c>include_usage</c> turned on.
    /// </summary>
    public byte[] ForTarget(string upstreamModel, bool requestUsage)
    {
        var model = JsonEncodedText.Encode(upstreamModel).EncodedUtf8Bytes;
        var usage = requestUsage && Stream && !ClientAskedForUsage ? _usage : null;
        var first = usage is { } u && u.Start < _model.Start ? u : _model;
        Splice? second = usage is null ? null : (first == _model ? usage : _model);

        var source = Utf8.Span;
        var length = source.Length - _model.Length + model.Length + 2 + (usage is { } x ? x.Insert.Length - x.Length : 0);
        var target = new byte[length];
        var written = 0;
        var read = 0;
        Splice[] splices = second is { } s ? [first, s] : [first];
        foreach (var splice in splices)
        {
            source[read..splice.Start].CopyTo(target.AsSpan(written));
            written += splice.Start - read;
            if (ReferenceEquals(splice.Insert, ModelMarker))
            {
                target[written++] = (byte)'"';
                model.CopyTo(target.AsSpan(written));
                written += model.Length;
                target[written++] = (byte)'"';
            }
            else
            {
                splice.Insert.CopyTo(target.AsSpan(written));
                written += splice.Insert.Length;
            }

            read = splice.Start + splice.Length;
        }

        source[read..].CopyTo(target.AsSpan(written));
        return target;
    }

    /// <summary>Stands for "the upstream model name, quoted" in the model's splice.</summary>
    private static readonly byte[] ModelMarker = [];

    private static LlmRequestBody? Parse(ReadOnlyMemory<byte> utf8, out string? error)
    {
        var reader = new Utf8JsonReader(utf8.Span, new JsonReaderOptions { MaxDepth = 128 });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            error = "The body must be a JSON object.";
            return null;
        }

        var objectStart = (int)reader.TokenStartIndex;
        string? model = null;
        Splice? modelToken = null;
        bool? stream = null;
        var askedForUsage = false;
        Splice? usage = new(objectStart + 1, 0, s_usageOptions);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("model"u8))
            {
                if (modelToken is not null)
                {
                    // Providers differ on which of two names wins; the gateway would route by one and bill the other.
                    error = "\"model\" appears twice.";
                    return null;
                }

                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                {
                    error = "\"model\" must be a string.";
                    return null;
                }

                model = reader.GetString();
                modelToken = new Splice((int)reader.TokenStartIndex, reader.ValueSpan.Length + 2, ModelMarker);
            }
            else if (reader.ValueTextEquals("stream"u8))
            {
                reader.Read();
                if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null))
                {
                    error = "\"stream\" must be a boolean.";
                    return null;
                }

                stream = reader.TokenType == JsonTokenType.True;
            }
            else if (reader.ValueTextEquals("stream_options"u8))
            {
                reader.Read();
                (usage, askedForUsage, error) = ReadStreamOptions(ref reader);
                if (error is not null)
                {
                    return null;
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject)
        {
            error = "The body must be a JSON object.";
            return null;
        }

        // A second top-level value or trailing garbage throws here.
        while (reader.Read())
        {
        }

        if (string.IsNullOrEmpty(model) || modelToken is null)
        {
            error = "\"model\" is required.";
            return null;
        }

        error = null;
        return new LlmRequestBody(utf8, model, stream ?? false, askedForUsage, modelToken.Value, usage);
    }

    /// <summary>Where <c>include_usage: true</c> goes in a <c>stream_options</c> value, and whether it is already there.</summary>
    private static (Splice? Usage, bool Asked, string? Error) ReadStreamOptions(ref Utf8JsonReader reader)
    {
        var start = (int)reader.TokenStartIndex;
        if (reader.TokenType == JsonTokenType.Null)
        {
            return (new Splice(start, 4, s_usageObject), false, null);
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return (null, false, "\"stream_options\" must be an object.");
        }

        Splice? usage = null;
        var asked = false;
        var empty = true;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            empty = false;
            if (reader.ValueTextEquals("include_usage"u8))
            {
                reader.Read();
                switch (reader.TokenType)
                {
                    case JsonTokenType.True:
                        asked = true;
                        break;
                    case JsonTokenType.False:
                        usage = new Splice((int)reader.TokenStartIndex, 5, s_true);
                        break;
                    case JsonTokenType.Null:
                        usage = new Splice((int)reader.TokenStartIndex, 4, s_true);
                        break;
                    default:
                        return (null, false, "\"stream_options.include_usage\" must be a boolean.");
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        usage ??= new Splice(start + 1, 0, empty ? s_includeUsage : [.. s_includeUsage, (byte)',']);
        return (usage, asked, null);
    }

    /// <summary>Replace <see cref="Length"/> bytes at <see cref="Start"/> with <see cref="Insert"/>.</summary>
    private readonly record struct Splice(int Start, int Length, byte[] Insert);
}
