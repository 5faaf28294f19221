using Gateway.Contracts.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Gateway.ServiceDefaults.Configuration;

public static class GatewayConfigurationExtensions
{
    /// <summary>
    /// Adds the gateway's JSON file (path in <c>Gateway:ConfigFile</c>, default <c>gateway.json</c> beside the app)
    /// with reload on change, and binds <see cref="GatewayOptions"/> with validation at start.
    /// Environment variables and the command line still win over the file, as usual.
    /// </summary>
    public static TBuilder AddGatewayConfiguration<TBuilder>(this TBuilder builder)
        where TBuilder : IHostApplicationBuilder
    {
        var file = builder.Configuration["Gateway:ConfigFile"];
        if (!string.IsNullOrWhiteSpace(file))
        {
            var full = Path.GetFullPath(file);
            // Insert before environment variables so env/command-line overrides keep winning.
            var sources = builder.Configuration.Sources;
            var index = sources.Count;
            for (var i = 0; i < sources.Count; i++)
            {
                if (sources[i] is Microsoft.Extensions.Configuration.EnvironmentVariables.EnvironmentVariablesConfigurationSource)
                {
                    index = i;
                    break;
                }
            }

            var fileSource = new Microsoft.Extensions.Configuration.Json.JsonConfigurationSource
            {
                Path = Path.GetFileName(full),
                Optional = false,
                ReloadOnChange = true,
                FileProvider = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(Path.GetDirectoryName(full)!),
            };
            sources.Insert(index, fileSource);
        }

        builder.Services.AddOptions<GatewayOptions>()
            .Bind(builder.Configuration.GetSection(GatewayOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        return builder;
    }
}
