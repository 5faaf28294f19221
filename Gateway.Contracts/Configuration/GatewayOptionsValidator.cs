using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Gateway.Contracts.Configuration;

/// <summary>
/// Validates the whole gateway configuration: the per-field rules (<see cref="GatewayOptionsFieldValidator"/>) and
/// the rules that span fields or items, which attributes cannot say: transport-dependent fields, absolute http(s)
/// URLs, unique names, ids and key hashes, roles that exist, well-formed role names and globs, and break durations
/// that do not exceed their maximum once defaults are applied. Every failure names its path, e.g.
/// <c>Gateway.Backends[2].CircuitBreaker.BreakDuration</c>, and all are reported at once, so one report fixes them all.
/// </summary>
public sealed partial class GatewayOptionsValidator : IValidateOptions<GatewayOptions>
{
    private const string Root = GatewayOptions.SectionName;
    private const int MaxGlobLength = 256;

    private readonly GatewayOptionsFieldValidator _fields = new();

    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        // The field rules get the section name, not the options name, so their paths start like the ones below.
        var fields = _fields.Validate(Root, options);
        var errors = new List<string>();
        if (fields.Failed)
        {
            errors.AddRange(fields.Failures);
        }

        ValidateBackends(options, errors);
        ValidateProviders(options, errors);
        ValidateModels(options, errors);
        ValidateRoles(options, errors);
        ValidateClients(options, errors);
        ValidateOAuth(options, errors);
        ValidateCredentials(options, errors);
        ValidateBreaker($"{Root}.CircuitBreaker", options.CircuitBreaker, null, errors);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void ValidateBackends(GatewayOptions options, List<string> errors)
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.Backends.Count; i++)
        {
            var path = $"{Root}.Backends[{i}]";
            var backend = options.Backends[i];
            if (backend is null)
            {
                Report(errors, "Backends", path, "is empty.");
                continue;
            }

            if (!string.IsNullOrEmpty(backend.Name) && !names.Add(backend.Name))
            {
                Report(errors, "Name", $"{path}.Name", $"'{backend.Name}' is already the name of another backend (names compare ignoring case).");
            }

            switch (backend.Transport)
            {
                case BackendTransport.Http when backend.Url is null:
                    Report(errors, "Url", $"{path}.Url", "is required for an Http backend.");
                    break;
                case BackendTransport.Http:
                    ValidateHttpUrl("Url", $"{path}.Url", backend.Url, errors);
                    break;
                case BackendTransport.Stdio when string.IsNullOrWhiteSpace(backend.Command):
                    Report(errors, "Command", $"{path}.Command", "is required for a Stdio backend.");
                    break;
            }

            ValidateBreaker($"{path}.CircuitBreaker", backend.CircuitBreaker, options.CircuitBreaker, errors);
        }
    }

    private static void ValidateProviders(GatewayOptions options, List<string> errors)
    {
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.Providers.Count; i++)
        {
            var path = $"{Root}.Providers[{i}]";
            var provider = options.Providers[i];
            if (provider is null)
            {
                Report(errors, "Providers", path, "is empty.");
                continue;
            }

            if (!string.IsNullOrEmpty(provider.Name) && !names.Add(provider.Name))
            {
                Report(errors, "Name", $"{path}.Name", $"'{provider.Name}' is already the name of another provider (names compare ignoring case).");
            }

            // Providers and backends share breakers, kill switches and dashboard resources by name.
            if (!string.IsNullOrEmpty(provider.Name) && options.Backends.Any(b => string.Equals(b?.Name, provider.Name, StringComparison.OrdinalIgnoreCase)))
            {
                Report(errors, "Name", $"{path}.Name", $"'{provider.Name}' is already the name of a backend.");
            }

            if (provider.BaseUrl is not null)
            {
                ValidateHttpUrl("BaseUrl", $"{path}.BaseUrl", provider.BaseUrl, errors);
            }

            ValidateBreaker($"{path}.CircuitBreaker", provider.CircuitBreaker, options.CircuitBreaker, errors);
        }
    }

    private static void ValidateModels(GatewayOptions options, List<string> errors)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var providers = options.Providers.Where(p => p is not null).Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < options.Models.Count; i++)
        {
            var path = $"{Root}.Models[{i}]";
            var model = options.Models[i];
            if (model is null)
            {
                Report(errors, "Models", path, "is empty.");
                continue;
            }

            if (!string.IsNullOrEmpty(model.Name) && !names.Add(model.Name))
            {
                Report(errors, "Name", $"{path}.Name", $"'{model.Name}' is already the name of another model.");
            }

            if (model.Targets.Count == 0)
            {
                Report(errors, "Targets", $"{path}.Targets", "needs at least one target.");
            }

            for (var t = 0; t < model.Targets.Count; t++)
            {
                var target = model.Targets[t];
                if (target is null)
                {
                    Report(errors, "Targets", $"{path}.Targets[{t}]", "is empty.");
                }
                else if (!string.IsNullOrEmpty(target.Provider) && !providers.Contains(target.Provider))
                {
                    Report(errors, "Provider", $"{path}.Targets[{t}].Provider", $"names provider '{target.Provider}', which is not in {Root}.Providers.");
                }
            }
        }
    }

    private static void ValidateRoles(GatewayOptions options, List<string> errors)
    {
        foreach (var (role, grants) in options.Roles)
        {
            var path = $"{Root}.Roles[{role}]";
            if (!RoleName().IsMatch(role))
            {
                Report(errors, "Roles", path, $"has a name that does not match the regular expression '{RoleOptions.NamePattern}'.");
            }

            if (grants is null)
            {
                Report(errors, "Roles", path, "is empty.");
                continue;
            }

            ValidateGlobs("Tools", $"{path}.Tools", grants.Tools, errors);
            ValidateGlobs("Resources", $"{path}.Resources", grants.Resources, errors);
            ValidateGlobs("Prompts", $"{path}.Prompts", grants.Prompts, errors);
            ValidateGlobs("Models", $"{path}.Models", grants.Models, errors);
        }
    }

    private static void ValidateClients(GatewayOptions options, List<string> errors)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var keys = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.Clients.Count; i++)
        {
            var path = $"{Root}.Clients[{i}]";
            var client = options.Clients[i];
            if (client is null)
            {
                Report(errors, "Clients", path, "is empty.");
                continue;
            }

            if (!string.IsNullOrEmpty(client.Id) && !ids.Add(client.Id))
            {
                Report(errors, "Id", $"{path}.Id", $"'{client.Id}' is already the id of another client.");
            }

            // Two clients with one key would leave the second unreachable: the key alone says who calls.
            if (!string.IsNullOrEmpty(client.KeySha256) && !keys.Add(client.KeySha256))
            {
                Report(errors, "KeySha256", $"{path}.KeySha256", "is already the key hash of another client.");
            }

            ValidateRoleReferences("Roles", $"{path}.Roles", client.Roles, options, errors);
        }

        ValidateRoleReferences("AnonymousRoles", $"{Root}.AnonymousRoles", options.AnonymousRoles, options, errors);
    }

    private static void ValidateRoleReferences(string member, string path, List<string> roles, GatewayOptions options, List<string> errors)
    {
        for (var r = 0; r < roles.Count; r++)
        {
            var role = roles[r];
            if (string.IsNullOrEmpty(role))
            {
                Report(errors, member, $"{path}[{r}]", "is empty.");
            }
            else if (!options.Roles.ContainsKey(role) && !GatewayOptions.BuiltInRoles.Contains(role))
            {
                Report(errors, member, $"{path}[{r}]",
                    $"names role '{role}', which is neither in {Root}.Roles nor built in ({string.Join(", ", GatewayOptions.BuiltInRoles)}).");
            }
        }
    }

    private static void ValidateGlobs(string member, string path, List<string> globs, List<string> errors)
    {
        for (var g = 0; g < globs.Count; g++)
        {
            var glob = globs[g];
            if (string.IsNullOrEmpty(glob) || glob.Length > MaxGlobLength || glob.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
            {
                Report(errors, member, $"{path}[{g}]",
                    $"is not a glob: 1 to {MaxGlobLength} characters, no whitespace or control characters (was '{glob}').");
            }
        }
    }

    private static void ValidateHttpUrl(string member, string path, Uri url, List<string> errors)
    {
        if (!url.IsAbsoluteUri || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            Report(errors, member, path, $"must be an absolute http or https URL (was '{url}').");
        }
    }

    /// <summary>The thresholds this breaker runs with (its own over the gateway defaults) must be coherent.</summary>
    private static void ValidateBreaker(string path, CircuitBreakerOptions? breaker, CircuitBreakerOptions? defaults, List<string> errors)
    {
        if (breaker is null)
        {
            return;
        }

        var resolved = breaker.Resolve(defaults);
        if (resolved.MaxBreakDuration < resolved.BreakDuration)
        {
            Report(errors, "MaxBreakDuration", $"{path}.MaxBreakDuration",
                $"must not be shorter than BreakDuration, defaults applied (was {resolved.MaxBreakDuration} < {resolved.BreakDuration}).");
        }
    }

    /// <summary>In the shape of the generated rules' failures (<c>Member: The field Path ...</c>), so a report reads as one list.</summary>
    private static void Report(List<string> errors, string member, string path, string problem) =>
        errors.Add($"{member}: The field {path} {problem}");

    [GeneratedRegex(RoleOptions.NamePattern)]
    private static partial Regex RoleName();
}
