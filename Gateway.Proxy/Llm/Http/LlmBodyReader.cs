using System.Buffers;

namespace Gateway.Proxy.Llm.Http;

/// <summary>Reads a request body whole, up to a limit.</summary>
internal static class LlmBodyReader
{
    /// <summary>The body, or null when it is larger than <paramref name="limit"/> bytes.</summary>
    public static async Task<ReadOnlyMemory<byte>?> ReadAsync(HttpContext http, int limit)
    {
        var length = http.Request.ContentLength;
        if (length > limit)
        {
            return null;
        }

        var buffer = new ArrayBufferWriter<byte>((int)Math.Min(length ?? 4096, limit) + 1);
        var body = http.Request.Body;
        while (true)
        {
            var read = await body.ReadAsync(buffer.GetMemory(4096), http.RequestAborted);
            if (read == 0)
            {
                return buffer.WrittenMemory;
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > limit)
            {
                return null;
            }
        }
    }
}
