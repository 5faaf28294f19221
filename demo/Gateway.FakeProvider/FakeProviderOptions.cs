using System.ComponentModel.DataAnnotations;

namespace Gateway.FakeProvider;

/// <summary>Settings of a fake provider (configuration section <c>FakeProvider</c>).</summary>
public sealed class FakeProviderOptions
{
    public const string SectionName = "FakeProvider";

    /// <summary>The models <c>GET /v1/models</c> lists when <see cref="Models"/> is empty.</summary>
    public static readonly IReadOnlyList<string> DefaultModels = ["fake-gpt", "fake-embed", "fake-claude"];

    /// <summary>
    /// The instance's name, echoed in the <c>x-fake-provider</c> response header and the <c>x_fake_provider</c> body
    /// field, so a test behind a fallback can tell which provider answered. Default: <c>OTEL_SERVICE_NAME</c>, else
    /// <c>fake-provider</c>.
    /// </summary>
    [MaxLength(200)]
    public string? Name { get; set; }

    /// <summary>
    /// When set, every <c>/v1/*</c> request must carry it as <c>Authorization: Bearer</c>, or as <c>x-api-key</c> on
    /// <c>/v1/messages</c> and <c>/v1/models</c>, else 401 in the API's shape. Default: no check.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>Models listed by <c>GET /v1/models</c>. Default (empty): <see cref="DefaultModels"/>. Any requested model is served.</summary>
    public IList<string> Models { get; init; } = [];

    /// <summary>
    /// How many requests the recorder keeps (the oldest are dropped; counts and in-flight maxima stay exact), so a
    /// benchmark against a long-running fake does not grow without bound. Default: 1000.
    /// </summary>
    [Range(1, 1_000_000)]
    public int RecordLimit { get; set; } = 1000;

    internal IReadOnlyList<string> EffectiveModels => Models.Count > 0 ? [.. Models] : DefaultModels;
}
