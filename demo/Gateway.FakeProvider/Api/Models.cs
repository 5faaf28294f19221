using Microsoft.Extensions.Options;

namespace Gateway.FakeProvider.Api;

/// <summary><c>GET /v1/models</c>: OpenAI's list of the configured models, all owned by <c>fake</c>.</summary>
internal static class Models
{
    /// <summary>A fixed creation time (2024-01-01), so the list is the same on every call.</summary>
    private const long Created = 1_704_067_200;

    public static Task HandleAsync(HttpContext context, IOptions<FakeProviderOptions> options) =>
        JsonBody.WriteAsync(context, StatusCodes.Status200OK, options.Value, static (writer, options) =>
        {
            writer.WriteString("object", "list");
            writer.WriteStartArray("data");
            foreach (var model in options.EffectiveModels)
            {
                writer.WriteStartObject();
                writer.WriteString("id", model);
                writer.WriteString("object", "model");
                writer.WriteNumber("created", Created);
                writer.WriteString("owned_by", "fake");
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteString("x_fake_provider", options.Name);
        });
}
