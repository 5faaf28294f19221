using System.Text;

namespace Gateway.FakeProvider.Recording;

/// <summary>Records every <c>/v1/*</c> request (all headers, the raw body) and counts it in flight until its response ends.</summary>
internal sealed class RecordingMiddleware(RequestDelegate next, RequestRecorder recorder, TimeProvider time)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        // Buffered so the endpoint reads the same body again.
        request.EnableBuffering();
        string body;
        using (var reader = new StreamReader(request.Body, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, leaveOpen: true))
        {
            body = await reader.ReadToEndAsync(context.RequestAborted);
        }

        request.Body.Position = 0;
        var headers = new Dictionary<string, string>(request.Headers.Count, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in request.Headers)
        {
            headers[name] = values.ToString();
        }

        var recorded = new RecordedRequest(request.Method, request.Path.Value ?? string.Empty, request.QueryString.Value ?? string.Empty, headers, body, time.GetUtcNow());
        using (recorder.Begin(recorded))
        {
            await next(context);
        }
    }
}
