using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Gateway.FakeProvider.Faults;

namespace Gateway.FakeProvider.Tests;

/// <summary>Plain HTTP against a fake: what a gateway sees, byte for byte.</summary>
internal static class FakeHttp
{
    public const string Chat = "/v1/chat/completions";
    public const string Messages = "/v1/messages";
    public const string Models = "/v1/models";
    public const string Embeddings = "/v1/embeddings";

    public const string ChatBody = """{"model":"fake-gpt","messages":[{"role":"user","content":"a b c"}]}""";
    public const string StreamedChatBody = """{"model":"fake-gpt","stream":true,"messages":[{"role":"user","content":"a b c"}]}""";
    public const string MessagesBody = """{"model":"fake-claude","max_tokens":10,"messages":[{"role":"user","content":"a b c"}]}""";

    public static HttpClient Client(FakeProviderServer server) => new() { BaseAddress = server.BaseUrl };

    public static Task<HttpResponseMessage> PostAsync(this HttpClient client, string path, string body, CancellationToken cancellationToken = default) =>
        client.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"), cancellationToken);

    /// <summary>Sends a streamed request and returns as soon as the headers arrive.</summary>
    public static Task<HttpResponseMessage> PostStreamingAsync(this HttpClient client, string path, string body, CancellationToken cancellationToken = default) =>
        client.SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") }, HttpCompletionOption.ResponseHeadersRead, cancellationToken);

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>())!;

    /// <summary>The <c>data:</c> payloads of an SSE body read to its end (or until it breaks: then the exception).</summary>
    public static async Task<List<string>> DataLinesAsync(this HttpResponseMessage response, List<string>? received = null)
    {
        received ??= [];
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                received.Add(line["data: ".Length..]);
            }
        }

        return received;
    }

    public static FaultPlan Fault(FaultMode mode) => new() { Mode = mode };
}
