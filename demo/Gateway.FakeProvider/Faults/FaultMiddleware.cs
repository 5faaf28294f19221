using Gateway.FakeProvider.Api;

namespace Gateway.FakeProvider.Faults;

/// <summary>
/// Takes the fault in force for each <c>/v1/*</c> request. Latency, error, rate-limit, garbage-json and hang act
/// here, before the endpoint; the stream faults ride the request as a <see cref="FaultPlan"/> feature to the writers.
/// </summary>
internal sealed class FaultMiddleware(RequestDelegate next, FaultInjector faults, Pause pause)
{
    private static readonly byte[] GarbageJson = "{\"id\": \"chatcmpl-garbage\", \"choices\": [ <<not json>>"u8.ToArray();

    public async Task InvokeAsync(HttpContext context)
    {
        var fault = faults.Take(context.Request.Path);
        context.Features.Set(fault);
        try
        {
            switch (fault.Mode)
            {
                case FaultMode.Latency:
                    await pause.ForAsync(context, TimeSpan.FromMilliseconds(fault.LatencyMs));
                    await next(context);
                    break;
                case FaultMode.Error:
                    await ApiErrors.WriteAsync(context, fault.Status, $"Injected fault: status {fault.Status}.");
                    break;
                case FaultMode.RateLimit:
                    context.Response.Headers.RetryAfter = fault.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    await ApiErrors.WriteAsync(context, StatusCodes.Status429TooManyRequests, "Injected fault: rate limit reached.");
                    break;
                case FaultMode.GarbageJson:
                    context.Response.StatusCode = StatusCodes.Status200OK;
                    context.Response.ContentType = "application/json";
                    await context.Response.Body.WriteAsync(GarbageJson, context.RequestAborted);
                    break;
                case FaultMode.Hang:
                    await pause.ForAsync(context, Timeout.InfiniteTimeSpan);
                    break;
                default:
                    await next(context);
                    break;
            }
        }
        catch (OperationCanceledException) when (pause.IsStopping(context))
        {
            // The client gave up or the server stops: nobody waits for this answer any more.
            context.Abort();
        }
    }
}
