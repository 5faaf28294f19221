namespace Gateway.AppHost.Hosting;

/// <summary>
/// Computes a process's environment the way an Aspire AppHost would: what each reference injects
/// (<c>ConnectionStrings__{name}</c>, <c>services__{name}__{endpoint}__0</c>), then the resource's own variables.
/// </summary>
public static class ResourceEnvironment
{
    public static Dictionary<string, string> Build(ResourceContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var reference in context.Resource.References)
        {
            var referenced = context.Of(reference);
            var injected = reference.ReferenceEnvironment?.Invoke(referenced) ?? ReferenceDefaults(referenced);
            foreach (var (name, value) in injected)
            {
                variables[name] = value;
            }
        }

        var environment = new EnvironmentContext(context, variables);
        foreach (var callback in context.Resource.Environment)
        {
            callback(environment);
        }

        return variables;
    }

    /// <summary>What referencing <paramref name="referenced"/> injects unless the resource says otherwise.</summary>
    public static IEnumerable<KeyValuePair<string, string>> ReferenceDefaults(ResourceContext referenced)
    {
        ArgumentNullException.ThrowIfNull(referenced);
        var resource = referenced.Resource;
        if (referenced.GetConnectionString() is { } connectionString)
        {
            yield return new($"ConnectionStrings__{resource.Name}", connectionString);
        }

        foreach (var endpoint in resource.Endpoints.Where(e => e.IsHttp))
        {
            yield return new($"services__{resource.Name}__{endpoint.Name}__0", referenced.Url(endpoint.Name).ToString().TrimEnd('/'));
        }
    }
}
