using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Gateway.Contracts.Configuration;

/// <summary>Which API an LLM provider speaks.</summary>
public enum ProviderKind
{
    /// <summary>Any OpenAI-compatible API: <c>/chat/completions</c>, <c>/embeddings</c>, <c>/models</c>.</summary>
    OpenAI,

    /// <summary>The Anthropic Messages API: <c>/messages</c>.</summary>
    Anthropic,
}

/// <summary>One LLM provider behind the gateway's <c>/v1</c> endpoints.</summary>
public sealed class ProviderOptions
{
    /// <summary>Unique among providers and backends (they share breakers, kill switches and the dashboard); <see cref="BackendOptions.NamePattern"/>.</summary>
    [Required, RegularExpression(BackendOptions.NamePattern)]
    public string Name { get; set; } = "";

    /// <summary>The API it speaks. Default: <see cref="ProviderKind.OpenAI"/>.</summary>
    [EnumDataType(typeof(ProviderKind), ErrorMessage = "The field {0} must be OpenAI or Anthropic.")]
    public ProviderKind Kind { get; set; } = ProviderKind.OpenAI;

    /// <summary>
    /// Absolute http(s) URL that API paths are appended to, version segment included, as the providers' SDKs take
    /// it: <c>https://api.openai.com/v1</c>, <c>https://api.anthropic.com/v1</c>.
    /// </summary>
    [Required]
    public Uri? BaseUrl { get; set; }

    /// <summary>
    /// Name of the configuration key that holds this provider's API key (an environment variable or an Aspire
    /// parameter ends up there), never the key itself. Sent as <c>Authorization: Bearer</c> (OpenAI) or
    /// <c>x-api-key</c> (Anthropic); the caller's own credential is never passed on. Default: none (no key sent).
    /// </summary>
    public string? ApiKeySetting { get; set; }

    /// <summary>Time to open a connection, 10 ms to 10 min. Default: 5 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Time from sending the request to the response headers, 10 ms to 1 h; later targets are tried after it. Default: 60 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan FirstByteTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Longest silence between two chunks of a streamed answer, 10 ms to 1 h. Default: 30 s.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Upper bound on one upstream request, streamed answer included, 10 ms to 1 h. Default: 10 min.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Path (relative to <see cref="BaseUrl"/>) the health monitor probes with a <c>GET</c>, a cheap request that
    /// needs the provider's key but costs no tokens. Default: <c>models</c>.
    /// </summary>
    [RegularExpression(@"^[^/\s]\S*$")]
    public string ProbePath { get; set; } = "models";

    /// <summary>Breaker thresholds for this provider; unset values fall back to <see cref="GatewayOptions.CircuitBreaker"/>.</summary>
    [ValidateObjectMembers]
    public CircuitBreakerOptions? CircuitBreaker { get; set; }
}

/// <summary>A model clients ask for, and the provider targets that serve it, tried in order.</summary>
public sealed class ModelOptions
{
    /// <summary>Letters, digits and <c>_ - . : /</c>; at most 128.</summary>
    public const string NamePattern = @"^[a-zA-Z0-9_.:/-]{1,128}$";

    /// <summary>The name clients put in <c>model</c>; unique among models.</summary>
    [Required, RegularExpression(NamePattern)]
    public string Name { get; set; } = "";

    /// <summary>Targets, at least one. Lower <see cref="ModelTargetOptions.Priority"/> first; within a priority, by weight.</summary>
    [ValidateEnumeratedItems]
    public List<ModelTargetOptions> Targets { get; set; } = [];
}

/// <summary>One provider that can serve a model.</summary>
public sealed class ModelTargetOptions
{
    /// <summary>A <see cref="ProviderOptions.Name"/>.</summary>
    [Required, RegularExpression(BackendOptions.NamePattern)]
    public string Provider { get; set; } = "";

    /// <summary>The model name the provider knows. Default: the requested model's name.</summary>
    [RegularExpression(ModelOptions.NamePattern)]
    public string? Model { get; set; }

    /// <summary>Order of trial, 0 to 1000: every target of priority 0 before any of priority 1. Default: 0.</summary>
    [Range(0, 1000)]
    public int Priority { get; set; }

    /// <summary>Share of first attempts among targets of the same priority, 1 to 1000. Default: 1.</summary>
    [Range(1, 1000)]
    public int Weight { get; set; } = 1;
}
