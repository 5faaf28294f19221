using Gateway.AppHost.Supervision;

namespace Gateway.AppHost.Providers;

public static class ProviderBuilderExtensions
{
    /// <summary>
    /// The configuration key (an environment variable of the proxy and the monitor) that holds the demo providers'
    /// API key; the providers' <c>ApiKeySetting</c> names it.
    /// </summary>
    public const string ApiKeySetting = "LLM_API_KEY";

    /// <summary>
    /// The LLM providers' API key, a secret parameter: generated for a local run (the demo providers expect whatever it
    /// is), asked for when deploying (the deployment's providers have real keys).
    /// </summary>
    public static IResourceBuilder<ParameterResource> AddProviderApiKey(this IDistributedApplicationBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.ExecutionContext.IsRunMode
            ? builder.AddParameter(name, new GenerateParameterDefault { MinLength = 32, Special = false }, secret: true)
            : builder.AddParameter(name, secret: true);
    }

    /// <summary>
    /// A fault-injecting fake LLM provider (demo/Gateway.FakeProvider) on a free port: OpenAI-shaped
    /// <c>/v1/models</c>, <c>/v1/chat/completions</c> and <c>/v1/embeddings</c>, Anthropic-shaped <c>/v1/messages</c>,
    /// and the <c>/fake</c> control API. It refuses any call without <paramref name="apiKey"/>. A demo provider: run
    /// locally, never published.
    /// </summary>
    public static IResourceBuilder<ProjectResource> AddFakeProvider(
        this IDistributedApplicationBuilder builder, string name, IResourceBuilder<ParameterResource> apiKey)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(apiKey);
        return builder.AddProject<Projects.Gateway_FakeProvider>(name)
            .WithHttpEndpoint()
            .WithEnvironment("FakeProvider__ApiKey", apiKey)
            .WithHttpHealthCheck("/health")
            .WithIconName("BrainCircuit")
            .WithRestartOnCrash()
            .ExcludeFromManifest();
    }

    /// <summary>Gives a service that calls or probes the providers their key, under <see cref="ApiKeySetting"/>.</summary>
    public static IResourceBuilder<ProjectResource> WithProviderApiKey(
        this IResourceBuilder<ProjectResource> builder, IResourceBuilder<ParameterResource> apiKey)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.WithEnvironment(ApiKeySetting, apiKey);
    }
}
