using System.Reflection;

namespace Gateway.AppHost;

/// <summary>The repository the AppHost was built from: where the npm peers and the local tool manifest are.</summary>
public static class RepositoryRoot
{
    public static string Path { get; } = typeof(RepositoryRoot).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(attribute => attribute.Key == "Gateway.RepositoryRoot").Value!;
}
