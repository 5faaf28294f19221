using System.Buffers;
using System.Text.Json;
using Gateway.FakeProvider.Faults;

namespace Gateway.FakeProvider.Api;

/// <summary>Reads a request's JSON object and writes a JSON response, honouring a <see cref="FaultMode.CutStream"/> fault.</summary>
internal static class JsonBody
{
    /// <summary>The request's body as a JSON object, or null after answering 400 in the API's shape.</summary>
    public static async Task<JsonDocument?> ReadObjectAsync(HttpContext context)
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted);
        }
        catch (JsonException exception)
        {
            await ApiErrors.WriteAsync(context, StatusCodes.Status400BadRequest, $"The request body is not valid JSON: {exception.Message}");
            return null;
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            await ApiErrors.WriteAsync(context, StatusCodes.Status400BadRequest, "The request body must be a JSON object.");
            return null;
        }

        return document;
    }

    /// <summary>Writes <c>{ ... }</c> filled by <paramref name="fill"/> with <paramref name="status"/>.</summary>
    public static async Task WriteAsync<TState>(HttpContext context, int status, TState state, Action<Utf8JsonWriter, TState> fill)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            fill(writer, state);
            writer.WriteEndObject();
        }

        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        var fault = context.Features.Get<FaultPlan>();
        if (fault?.Mode == FaultMode.CutStream)
        {
            // Half the declared length, then the end: Kestrel closes the connection after sending the half, and the
            // client sees the body end prematurely inside the JSON (see SseWriter on why not HttpContext.Abort()).
            response.ContentLength = buffer.WrittenCount;
            await response.Body.WriteAsync(buffer.WrittenMemory[..(buffer.WrittenCount / 2)], context.RequestAborted);
            return;
        }

        response.ContentLength = buffer.WrittenCount;
        await response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
    }
}
