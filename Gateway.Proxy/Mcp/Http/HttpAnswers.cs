using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Gateway.Proxy.JsonRpc;

namespace Gateway.Proxy.Mcp.Http;

/// <summary>How <c>/mcp</c> writes: one JSON body, or an SSE stream of <c>message</c> events.</summary>
internal static class HttpAnswers
{
    private static readonly byte[] s_eventPrefix = "event: message\ndata: "u8.ToArray();
    private static readonly byte[] s_eventSuffix = "\n\n"u8.ToArray();

    public static async Task WriteJsonAsync(HttpContext http, int status, byte[] body)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = MediaTypes.Json;
        http.Response.ContentLength = body.Length;
        await http.Response.Body.WriteAsync(body);
    }

    public static Task WriteErrorAsync(HttpContext http, int status, int code, string message, JsonElement id = default) =>
        WriteJsonAsync(http, status, JsonRpcWriter.Error(id, code, message));

    public static void StartEventStream(HttpContext http)
    {
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = MediaTypes.EventStream;
        http.Response.Headers.CacheControl = "no-cache";
        http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();
    }

    public static async ValueTask WriteEventAsync(PipeWriter writer, byte[] message, CancellationToken cancellationToken)
    {
        writer.Write(s_eventPrefix);
        writer.Write(message);
        writer.Write(s_eventSuffix);
        await writer.FlushAsync(cancellationToken);
    }
}
