using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CsCheck;
using static Gateway.FakeProvider.Tests.FakeHttp;

namespace Gateway.FakeProvider.Tests;

/// <summary>
/// Generated bodies, from valid-looking requests with wrong types to broken JSON and bytes that are not UTF-8: the
/// fake answers each with 200 or 400 in the API's shape, never 500, and an answered stream ends.
/// </summary>
public sealed class HostileBodyTests
{
    private static readonly string[] Keys =
        ["model", "messages", "role", "content", "stream", "stream_options", "include_usage", "input", "encoding_format", "system", "type", "text", "max_tokens"];

    private static readonly Gen<string> Scalar = Gen.OneOf(
        Gen.Const("null"),
        Gen.Bool.Select(value => value ? "true" : "false"),
        Gen.Int.Select(value => value.ToString(CultureInfo.InvariantCulture)),
        Gen.Double.Select(value => double.IsFinite(value) ? value.ToString("R", CultureInfo.InvariantCulture) : "1e400"),
        Gen.OneOf("user", "assistant", "text", "base64", "fake-gpt", string.Empty).Select(value => JsonSerializer.Serialize(value)),
        Gen.String.Select(value => JsonSerializer.Serialize(value)));

    private static readonly Gen<string> Value = Gen.Recursive<string>((depth, value) => depth >= 4
        ? Scalar
        : Gen.Frequency(
            (3, Scalar),
            (1, value.Array[0, 4].Select(items => "[" + string.Join(",", items) + "]")),
            (2, Gen.Select(Gen.OneOf(Gen.OneOf(Keys), Gen.String), value).Array[0, 5]
                .Select(members => "{" + string.Join(",", members.Select(member => JsonSerializer.Serialize(member.Item1) + ":" + member.Item2)) + "}"))));

    /// <summary>A valid request broken at one place: truncated, or a character inserted.</summary>
    private static readonly Gen<string> Mutated = Gen.Select(
        Gen.OneOf(ChatBody, StreamedChatBody, MessagesBody, """{"model":"e","input":["a",[1,2]]}"""),
        Gen.Int[0, 80],
        Gen.Char)
        .Select((body, at, character) => at % 2 == 0 ? body[..Math.Min(at, body.Length)] : body.Insert(Math.Min(at, body.Length), character.ToString()));

    private static readonly Gen<byte[]> Body = Gen.Frequency(
        (4, Value.Select(Encoding.UTF8.GetBytes)),
        (2, Mutated.Select(Encoding.UTF8.GetBytes)),
        (1, Gen.String.Select(Encoding.UTF8.GetBytes)),
        (1, Gen.Byte.Array[0, 64]));

    [Fact]
    public async Task Generated_bodies_never_get_a_server_error()
    {
        await using var server = await FakeProviderServer.StartAsync();
        using var http = Client(server);

        await Gen.Select(Gen.OneOf(Chat, Messages, Embeddings), Body).SampleAsync(async (path, body) =>
        {
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            using var response = await http.PostAsync(path, content);
            var text = await response.Content.ReadAsStringAsync();

            Assert.True((int)response.StatusCode is 200 or 400, $"{(int)response.StatusCode} for {path}: {text}");
            if ((int)response.StatusCode == 400)
            {
                using var error = JsonDocument.Parse(text);
                Assert.True(error.RootElement.TryGetProperty("error", out _));
            }
        }, iter: 400, threads: 1);
    }

    [Theory]
    [InlineData(Chat, "error")]
    [InlineData(Embeddings, "error")]
    [InlineData(Messages, "type")]
    public async Task Invalid_json_is_400_in_the_api_shape(string path, string shapeField)
    {
        await using var server = await FakeProviderServer.StartAsync();
        using var http = Client(server);

        using var response = await http.PostAsync(path, "{\"model\": ");
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        Assert.Equal(400, (int)response.StatusCode);
        Assert.True(error.RootElement.TryGetProperty(shapeField, out _));
        Assert.Equal("invalid_request_error", error.RootElement.GetProperty("error").GetProperty("type").GetString());
    }
}
