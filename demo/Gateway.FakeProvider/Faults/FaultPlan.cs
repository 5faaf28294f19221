using System.ComponentModel.DataAnnotations;

namespace Gateway.FakeProvider.Faults;

/// <summary>
/// One fault to inject: the body of <c>PUT /fake/fault</c>, or what a test hands <see cref="FaultInjector.Set"/>.
/// Only the settings of its <see cref="Mode"/> matter.
/// </summary>
public sealed record FaultPlan : IValidatableObject
{
    /// <summary>What goes wrong. Default: <see cref="FaultMode.None"/>.</summary>
    public FaultMode Mode { get; init; }

    /// <summary><see cref="FaultMode.Latency"/>: the delay before the response headers. Default: 1000 ms.</summary>
    [Range(0, 3_600_000)]
    public int LatencyMs { get; init; } = 1000;

    /// <summary><see cref="FaultMode.Error"/>: the status answered, 400 to 599. Default: 500.</summary>
    [Range(400, 599)]
    public int Status { get; init; } = 500;

    /// <summary><see cref="FaultMode.RateLimit"/>: the <c>Retry-After</c> header in seconds. Default: 1.</summary>
    [Range(0, 86_400)]
    public int RetryAfterSeconds { get; init; } = 1;

    /// <summary><see cref="FaultMode.SlowStream"/>: the delay between two events. Default: 500 ms.</summary>
    [Range(0, 3_600_000)]
    public int ChunkDelayMs { get; init; } = 500;

    /// <summary><see cref="FaultMode.CutStream"/>: the events sent before the connection is aborted. Default: 1.</summary>
    [Range(0, 100_000)]
    public int AfterEvents { get; init; } = 1;

    /// <summary>Apply to the next <c>Count</c> matching requests only, then revert to <see cref="FaultMode.None"/>. Default: every request.</summary>
    [Range(1, int.MaxValue)]
    public int? Count { get; init; }

    /// <summary>
    /// Apply only to requests under these paths (<c>/v1/models</c> matches itself and anything below it). Default
    /// (null or empty): every <c>/v1/*</c> request.
    /// </summary>
    public IReadOnlyList<string>? Paths { get; init; }

    /// <summary>A plan that answers normally.</summary>
    public static FaultPlan None { get; } = new();

    internal bool Applies(PathString path)
    {
        if (Paths is null || Paths.Count == 0)
        {
            return true;
        }

        foreach (var prefix in Paths)
        {
            if (path.StartsWithSegments(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Enum.IsDefined(Mode))
        {
            yield return new ValidationResult($"Unknown mode {(int)Mode}.", [nameof(Mode)]);
        }

        foreach (var path in Paths ?? [])
        {
            if (string.IsNullOrEmpty(path) || path[0] != '/')
            {
                yield return new ValidationResult($"Path '{path}' must start with '/'.", [nameof(Paths)]);
            }
        }
    }

    /// <summary>Every broken rule of this plan; empty when it can be applied.</summary>
    public IReadOnlyList<string> Errors()
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(this, new ValidationContext(this), results, validateAllProperties: true);
        return [.. results.Select(result => result.ErrorMessage ?? "invalid")];
    }
}
