using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Gateway.FakeProvider.Api;

/// <summary>
/// <c>POST /v1/embeddings</c> in OpenAI's shape. Each input (a string, or a token array, taken as its JSON text) gets
/// 8 floats in [-1, 1] from its SHA-256: the same input always embeds the same. <c>"encoding_format":"base64"</c>
/// answers little-endian float32 in base64, as the real API does.
/// </summary>
internal static class Embeddings
{
    public const int Dimensions = 8;

    public static async Task HandleAsync(HttpContext context, IOptions<FakeProviderOptions> options)
    {
        using var document = await JsonBody.ReadObjectAsync(context);
        if (document is null)
        {
            return;
        }

        var request = document.RootElement;
        var model = Conversation.Model(request);
        var inputs = model is null ? null : Inputs(request);
        if (model is null || inputs is null)
        {
            await ApiErrors.WriteAsync(context, StatusCodes.Status400BadRequest, "'model' (a string) and 'input' (a string or a non-empty array) are required.");
            return;
        }

        var base64 = request.TryGetProperty("encoding_format", out var format) && format.ValueKind == JsonValueKind.String && format.ValueEquals("base64");
        var tokens = Math.Max(1, inputs.Sum(Conversation.CountWords));
        await JsonBody.WriteAsync(context, StatusCodes.Status200OK, (inputs, model, base64, tokens, options.Value.Name), static (writer, answer) =>
        {
            writer.WriteString("object", "list");
            writer.WriteStartArray("data");
            for (var index = 0; index < answer.inputs.Count; index++)
            {
                var vector = Embed(answer.inputs[index]);
                writer.WriteStartObject();
                writer.WriteString("object", "embedding");
                writer.WriteNumber("index", index);
                if (answer.base64)
                {
                    writer.WriteBase64String("embedding", MemoryMarshal.AsBytes(vector.AsSpan()));
                }
                else
                {
                    writer.WriteStartArray("embedding");
                    foreach (var value in vector)
                    {
                        writer.WriteNumberValue(value);
                    }

                    writer.WriteEndArray();
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteString("model", answer.model);
            writer.WriteStartObject("usage");
            writer.WriteNumber("prompt_tokens", answer.tokens);
            writer.WriteNumber("total_tokens", answer.tokens);
            writer.WriteEndObject();
            writer.WriteString("x_fake_provider", answer.Name);
        });
    }

    /// <summary>The vector of one input.</summary>
    public static float[] Embed(string input)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(input), hash);
        var vector = new float[Dimensions];
        for (var i = 0; i < Dimensions; i++)
        {
            vector[i] = (BitConverter.ToUInt16(hash[(2 * i)..]) / 32767.5f) - 1f;
        }

        return vector;
    }

    private static List<string>? Inputs(JsonElement request)
    {
        if (!request.TryGetProperty("input", out var input))
        {
            return null;
        }

        if (input.ValueKind == JsonValueKind.String)
        {
            return [input.GetString()!];
        }

        if (input.ValueKind != JsonValueKind.Array || input.GetArrayLength() == 0)
        {
            return null;
        }

        // One token array ([1, 2, 3]) is one input; otherwise each item is.
        if (input[0].ValueKind == JsonValueKind.Number)
        {
            return [input.GetRawText()];
        }

        var inputs = new List<string>(input.GetArrayLength());
        foreach (var item in input.EnumerateArray())
        {
            inputs.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : item.GetRawText());
        }

        return inputs;
    }
}
