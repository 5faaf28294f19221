using System.Net.Http.Headers;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

// The least an ASP.NET Core HTTP proxy can do per call: Kestrel in, HttpClient out, the body copied both ways and the
// session header relayed; no parsing, no checks, no audit. bench/run's tools-call scenario runs it beside the gateway
// to measure what the machine itself charges for one more .NET HTTP hop.
// Socket I/O runs inline, as in the gateway (Gateway.Proxy/Extensions/InlineIoExtensions.cs).
Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
var builder = WebApplication.CreateSlimBuilder(args);
builder.Services.Configure<SocketTransportOptions>(options => options.UnsafePreferInlineScheduling = true);
var backend = new Uri(builder.Configuration["Gateway:Backends:0:Url"] ?? throw new InvalidOperationException("Gateway__Backends__0__Url is not set."));
using var http = new HttpMessageInvoker(new SocketsHttpHandler
{
    UseProxy = false,
    UseCookies = false,
    AllowAutoRedirect = false,
    PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
});

var app = builder.Build();
app.MapPost("/mcp", async (HttpContext context) =>
{
    using var body = new MemoryStream();
    await context.Request.Body.CopyToAsync(body, context.RequestAborted);
    using var request = new HttpRequestMessage(HttpMethod.Post, backend)
    {
        Content = new ByteArrayContent(body.GetBuffer(), 0, (int)body.Length),
    };
    request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
    request.Headers.Accept.ParseAdd("application/json");
    if (context.Request.Headers["Mcp-Session-Id"] is { Count: > 0 } session)
    {
        request.Headers.TryAddWithoutValidation("Mcp-Session-Id", (string?)session);
    }

    using var response = await http.SendAsync(request, context.RequestAborted);
    var answer = await response.Content.ReadAsByteArrayAsync(context.RequestAborted);
    if (response.Headers.TryGetValues("Mcp-Session-Id", out var sessionIds))
    {
        context.Response.Headers["Mcp-Session-Id"] = sessionIds.First();
    }

    context.Response.StatusCode = (int)response.StatusCode;
    context.Response.ContentType = "application/json";
    await context.Response.Body.WriteAsync(answer, context.RequestAborted);
});
app.Run();
