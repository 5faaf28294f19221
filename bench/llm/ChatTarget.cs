using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace Gateway.Bench.Llm;

/// <summary>
/// Chat completions against one target (the provider directly, the gateway, YARP): the same request bytes to each,
/// on a connection pool of its own.
/// </summary>
internal sealed class ChatTarget : IDisposable
{
    /// <summary>The gateway's client key (the provider and YARP ignore it): every target gets the same headers.</summary>
    public const string ClientKey = "bench-client-key";

    /// <summary>The model every request names: the gateway maps it to the fake's <c>fake-gpt</c>; the fake serves any name.</summary>
    public const string Model = "bench-chat";

    // Usage asked for by the client, so the provider does the same work for every target (the gateway would otherwise
    // add it to streamed requests and drop the extra chunk).
    private static readonly byte[] StreamBody = Encoding.UTF8.GetBytes(
        $$"""{"model":"{{Model}}","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"one two three four five six seven eight"}]}""");

    private static readonly byte[] PlainBody = Encoding.UTF8.GetBytes(
        $$"""{"model":"{{Model}}","messages":[{"role":"user","content":"one two three four five six seven eight"}]}""");

    private static readonly MediaTypeHeaderValue Json = new("application/json");

    private readonly HttpClient _client;
    private readonly Uri _completions;

    public ChatTarget(string name, Uri root)
    {
        Name = name;
        _completions = new Uri(root, "v1/chat/completions");
        _client = new HttpClient(new SocketsHttpHandler
        {
            UseProxy = false,
            AutomaticDecompression = DecompressionMethods.None,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
            MaxConnectionsPerServer = int.MaxValue,
        })
        { Timeout = TimeSpan.FromSeconds(30) };
        _client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ClientKey);
    }

    public string Name { get; }

    /// <summary>
    /// One streamed completion: returns the <see cref="System.Diagnostics.Stopwatch"/> timestamp at which its first
    /// server-sent event had arrived whole (blank line included), after reading the stream to its end.
    /// </summary>
    public async Task<long> StreamAsync()
    {
        using var request = Request(StreamBody);
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        EnsureSuccess(response);
        await using var stream = await response.Content.ReadAsStreamAsync();
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            long firstEvent = 0;
            var seen = 0;
            var lastTwo = (byte)0;
            int read;
            var tail = new byte[16];
            var tailLength = 0;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                if (firstEvent == 0)
                {
                    for (var i = 0; i < read; i++)
                    {
                        // The end of an event: "\n\n" (the fake and both proxies write LF line ends).
                        if (buffer[i] == (byte)'\n' && lastTwo == (byte)'\n')
                        {
                            firstEvent = System.Diagnostics.Stopwatch.GetTimestamp();
                            break;
                        }

                        lastTwo = buffer[i];
                    }
                }

                seen += read;
                Tail(buffer.AsSpan(0, read), tail, ref tailLength);
            }

            // A stream cut short or answered without events is an error, not a fast request.
            if (firstEvent == 0 || !Encoding.ASCII.GetString(tail, 0, tailLength).Contains("[DONE]", StringComparison.Ordinal))
            {
                throw new HttpRequestException($"{Name}: stream of {seen} bytes without a first event or [DONE]");
            }

            return firstEvent;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>One non-streamed completion, read whole.</summary>
    public async Task CompleteAsync()
    {
        using var request = Request(PlainBody);
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseContentRead);
        EnsureSuccess(response);
    }

    public void Dispose() => _client.Dispose();

    private HttpRequestMessage Request(byte[] body) => new(HttpMethod.Post, _completions)
    {
        Content = new ByteArrayContent(body) { Headers = { ContentType = Json } },
    };

    private void EnsureSuccess(HttpResponseMessage response)
    {
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new HttpRequestException($"{Name}: HTTP {(int)response.StatusCode}");
        }
    }

    // The last bytes of the stream, where "data: [DONE]" is.
    private static void Tail(ReadOnlySpan<byte> chunk, byte[] tail, ref int length)
    {
        if (chunk.Length >= tail.Length)
        {
            chunk[^tail.Length..].CopyTo(tail);
            length = tail.Length;
            return;
        }

        var keep = Math.Min(length, tail.Length - chunk.Length);
        Array.Copy(tail, length - keep, tail, 0, keep);
        chunk.CopyTo(tail.AsSpan(keep));
        length = keep + chunk.Length;
    }
}
