using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.EnvironmentVariables;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Gateway.Contracts.Configuration;

public static class GatewayConfigurationExtensions
{
    /// <summary>Name of the health check that turns Degraded while a reload of the gateway configuration is rejected.</summary>
    public const string HealthCheckName = "gateway-config";

    /// <summary>
    /// Adds the gateway's JSON file (path in <c>Gateway:ConfigFile</c>) with reload on change, and binds
    /// <see cref="GatewayOptions"/> validated completely (<see cref="GatewayOptionsValidator"/>) at start and on every
    /// reload. An invalid configuration at start stops the service with every error; an invalid reload is not applied
    /// (<see cref="LastGoodOptionsMonitor{TOptions}"/>): it is logged and shown on the <c>gateway-config</c> health
    /// check until a good reload. Environment variables and the command line still win over the file, as usual.
    /// </summary>
    public static TBuilder AddGatewayConfiguration<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var file = builder.Configuration[$"{GatewayOptions.SectionName}:ConfigFile"];
        if (!string.IsNullOrWhiteSpace(file))
        {
            services.AddSingleton<IValidateOptions<GatewayOptions>>(AddFile(builder.Configuration, Path.GetFullPath(file)));
        }

        services.AddOptions<GatewayOptions>()
            .Bind(builder.Configuration.GetSection(GatewayOptions.SectionName))
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<LastGoodOptionsMonitor<GatewayOptions>>();
        // Closed registrations win over the framework's open-generic OptionsMonitor<>: every reader gets the last good value.
        services.AddSingleton<IOptionsMonitor<GatewayOptions>>(provider => provider.GetRequiredService<LastGoodOptionsMonitor<GatewayOptions>>());
        services.AddHealthChecks().AddCheck<LastGoodOptionsHealthCheck<GatewayOptions>>(HealthCheckName);
        return builder;
    }

    private static GatewayConfigFileValidator AddFile(IConfigurationManager configuration, string path)
    {
        var source = new JsonConfigurationSource
        {
            Path = Path.GetFileName(path),
            Optional = false,
            ReloadOnChange = true,
            FileProvider = new PhysicalFileProvider(Path.GetDirectoryName(path)!),
        };
        var validator = new GatewayConfigFileValidator(configuration, source, path);
        // A file that does not parse must not throw on the watcher's thread (the provider has already dropped its data):
        // the reload goes on with no data, and the validator rejects it with this message.
        source.OnLoadException = context =>
        {
            validator.LoadError = context.Exception.InnerException?.Message ?? context.Exception.Message;
            context.Ignore = true;
        };

        // Before environment variables, so environment and command-line overrides keep winning.
        var sources = configuration.Sources;
        var index = sources.Count;
        for (var i = 0; i < sources.Count; i++)
        {
            if (sources[i] is EnvironmentVariablesConfigurationSource)
            {
                index = i;
                break;
            }
        }

        sources.Insert(index, source);
        return validator;
    }
}
