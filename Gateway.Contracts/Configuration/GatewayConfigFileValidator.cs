using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.Options;

namespace Gateway.Contracts.Configuration;

/// <summary>
/// Rejects a <c>gateway.json</c> that gives no <c>Gateway</c> section: missing (an editor saving by rename, a
/// half-copied file), not valid JSON, or without the section. The JSON provider turns each of these into no data at
/// all, which would otherwise bind to an empty gateway (no clients, no backends) that passes every other rule.
/// </summary>
internal sealed class GatewayConfigFileValidator(IConfiguration configuration, JsonConfigurationSource file, string path)
    : IValidateOptions<GatewayOptions>
{
    /// <summary>
    /// Why the file last failed to parse. The provider reports it through <see cref="FileConfigurationSource.OnLoadException"/>
    /// and then goes on with no data; kept here so the rejection says what is wrong, not only that something is.
    /// </summary>
    public string? LoadError { get; set; }

    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var provider = (configuration as IConfigurationRoot)?.Providers
            .OfType<JsonConfigurationProvider>()
            .FirstOrDefault(p => ReferenceEquals(p.Source, file));
        if (provider is null || provider.GetChildKeys([], null).Contains(GatewayOptions.SectionName, StringComparer.OrdinalIgnoreCase))
        {
            LoadError = null;
            return ValidateOptionsResult.Success;
        }

        var reason = LoadError is { } error ? error : $"it is missing or has no \"{GatewayOptions.SectionName}\" section";
        return ValidateOptionsResult.Fail($"ConfigFile: The field {GatewayOptions.SectionName}.ConfigFile names '{path}', which gave no configuration: {reason}.");
    }
}
