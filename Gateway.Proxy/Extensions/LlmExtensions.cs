using Gateway.Messaging;
using Gateway.Proxy.Llm;
using Gateway.Proxy.Llm.Errors;
using Gateway.Proxy.Llm.Http;
using Gateway.Proxy.Llm.Providers;
using Gateway.Proxy.Llm.Relay;
using Gateway.Proxy.Llm.Routing;
using Gateway.Proxy.Llm.Telemetry;
using MassTransit;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Gateway.Proxy.Extensions;

/// <summary>Wiring of the LLM front end: <c>/v1/chat/completions</c>, <c>/v1/embeddings</c>, <c>/v1/messages</c>, <c>/v1/models</c>.</summary>
internal static class LlmExtensions
{
    public static IHostApplicationBuilder AddLlmGateway(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<LlmOptions>().BindConfiguration(LlmOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ModelRoutes>();
        services.AddSingleton<ProviderDirectory>();
        services.AddSingleton<ProviderThrottles>();
        services.AddSingleton<LlmTelemetry>();
        services.AddSingleton<StreamRelay>();
        services.AddSingleton<ProviderCall>();
        services.AddSingleton<LlmRelay>();
        services.AddSingleton<LlmRequestHandler>();
        services.AddSingleton<ModelsEndpoint>();
        return builder;
    }

    /// <summary>Tells every replica about a provider's 429 with <c>Retry-After</c>, on a queue of this replica's own.</summary>
    public static void AddProviderThrottles(this IBusRegistrationConfigurator bus, string instanceId) =>
        bus.AddConsumer<ProviderThrottledConsumer>().Endpoint(e => e.PerInstance(instanceId));

    /// <summary>
    /// Maps the <c>/v1</c> endpoints. Like <c>/mcp</c> they authenticate each request themselves (the caller's API
    /// decides the error's shape), so they skip the authentication middleware. Any other path or method under
    /// <c>/v1</c> gets an error in OpenAI's shape instead of a bare 404 or 405.
    /// </summary>
    public static WebApplication MapLlmEndpoints(this WebApplication app)
    {
        var handler = app.Services.GetRequiredService<LlmRequestHandler>();
        var models = app.Services.GetRequiredService<ModelsEndpoint>();
        var v1 = app.MapGroup("/v1");
        v1.MapPost("/chat/completions", http => handler.HandleAsync(http, LlmOperation.ChatCompletions)).ShortCircuit();
        v1.MapPost("/embeddings", http => handler.HandleAsync(http, LlmOperation.Embeddings)).ShortCircuit();
        v1.MapPost("/messages", http => handler.HandleAsync(http, LlmOperation.Messages)).ShortCircuit();
        v1.MapGet("/models", models.HandleAsync).ShortCircuit();
        v1.Map("/{**rest}", http =>
        {
            var api = http.Request.Headers.ContainsKey("anthropic-version") ? Contracts.Configuration.ProviderKind.Anthropic : Contracts.Configuration.ProviderKind.OpenAI;
            return new LlmError(StatusCodes.Status404NotFound, "unknown_endpoint", $"{http.Request.Method} {http.Request.Path} is not an endpoint of this gateway.")
                .WriteAsync(http, api);
        }).ShortCircuit();
        return app;
    }
}
