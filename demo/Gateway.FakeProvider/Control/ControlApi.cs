using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.FakeProvider.Faults;
using Gateway.FakeProvider.Recording;

namespace Gateway.FakeProvider.Control;

/// <summary>
/// The test's hands on a running fake, outside <c>/v1</c> so they are never recorded nor faulted:
/// <c>GET|PUT|DELETE /fake/fault</c> and <c>GET|DELETE /fake/requests</c>.
/// </summary>
internal static class ControlApi
{
    /// <summary>camelCase, modes in kebab case (<c>rate-limit</c>), unknown fields refused so a typo is not a silent no-op.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false) },
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    private static readonly string KnownModes =
        "Modes: " + string.Join(", ", Enum.GetNames<FaultMode>().Select(JsonNamingPolicy.KebabCaseLower.ConvertName)) + ".";

    public static IEndpointRouteBuilder MapControlApi(this IEndpointRouteBuilder endpoints)
    {
        var fake = endpoints.MapGroup("/fake");
        fake.MapGet("/fault", (FaultInjector faults) => Results.Json(State(faults), Json));
        fake.MapPut("/fault", SetFaultAsync);
        fake.MapDelete("/fault", (FaultInjector faults) =>
        {
            faults.Clear();
            return Results.NoContent();
        });
        fake.MapGet("/requests", (RequestRecorder recorder) => Results.Json(
            new { requests = recorder.Requests, counts = recorder.Counts, maxInFlight = recorder.MaxInFlight }, Json));
        fake.MapDelete("/requests", (RequestRecorder recorder) =>
        {
            recorder.Clear();
            return Results.NoContent();
        });
        return endpoints;
    }

    private static async Task<IResult> SetFaultAsync(HttpContext context, FaultInjector faults)
    {
        FaultPlan? plan;
        try
        {
            plan = await JsonSerializer.DeserializeAsync<FaultPlan>(context.Request.Body, Json, context.RequestAborted);
        }
        catch (JsonException exception)
        {
            return Results.Json(new { errors = new[] { exception.Message, KnownModes } }, Json, statusCode: StatusCodes.Status400BadRequest);
        }

        var errors = plan?.Errors() ?? ["The body must be a fault plan object."];
        if (errors.Count > 0)
        {
            return Results.Json(new { errors }, Json, statusCode: StatusCodes.Status400BadRequest);
        }

        faults.Set(plan!);
        return Results.Json(State(faults), Json);
    }

    private static object State(FaultInjector faults) => new { fault = faults.Current, remaining = faults.Remaining };
}
