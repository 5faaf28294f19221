using Gateway.FakeProvider.Api;
using Gateway.FakeProvider.Control;
using Gateway.FakeProvider.Faults;
using Gateway.FakeProvider.Recording;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Gateway.FakeProvider;

/// <summary>The one registration and mapping that the process (Program.cs) and <see cref="FakeProviderServer"/> share.</summary>
public static class FakeProviderExtensions
{
    private const string DefaultName = "fake-provider";

    /// <summary>Options from section <c>FakeProvider</c> (then <paramref name="configure"/>), the fault injector, the recorder and the clock.</summary>
    public static IServiceCollection AddFakeProvider(this IServiceCollection services, IConfiguration configuration, Action<FakeProviderOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<FakeProviderOptions>()
            .Bind(configuration.GetSection(FakeProviderOptions.SectionName))
            .Configure(options => configure?.Invoke(options))
            .PostConfigure(options => options.Name ??= configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } service ? service : DefaultName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<FaultInjector>();
        services.TryAddSingleton(provider => new RequestRecorder(provider.GetRequiredService<IOptions<FakeProviderOptions>>().Value.RecordLimit));
        services.TryAddSingleton<Pause>();
        return services;
    }

    /// <summary>
    /// The provider APIs under <c>/v1</c> (recorded, then faulted, then credential-checked) and the control API
    /// under <c>/fake</c>; every response names the instance in <c>x-fake-provider</c>.
    /// </summary>
    public static WebApplication MapFakeProvider(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var name = app.Services.GetRequiredService<IOptions<FakeProviderOptions>>().Value.Name!;
        app.Use((context, next) =>
        {
            context.Response.Headers["x-fake-provider"] = name;
            return next(context);
        });
        app.UseWhen(
            context => context.Request.Path.StartsWithSegments("/v1", StringComparison.OrdinalIgnoreCase),
            v1 => v1.UseMiddleware<RecordingMiddleware>().UseMiddleware<FaultMiddleware>().UseMiddleware<CredentialMiddleware>());

        var v1 = app.MapGroup("/v1");
        v1.MapGet("/models", Models.HandleAsync);
        v1.MapPost("/chat/completions", ChatCompletions.HandleAsync);
        v1.MapPost("/embeddings", Embeddings.HandleAsync);
        v1.MapPost("/messages", Messages.HandleAsync);
        app.MapFallback("/v1/{**path}", context => ApiErrors.WriteAsync(context, StatusCodes.Status404NotFound, $"Unknown path {context.Request.Path}."));
        app.MapControlApi();
        return app;
    }
}
