namespace Gateway.AppHost.Infrastructure;

/// <summary>
/// Garnet, Microsoft's Redis-protocol server, run by DCP as an executable from the repository's local tool manifest.
/// Its connection string has the shape a Redis container's has, so services see no difference.
/// </summary>
public sealed class GarnetResource(string name, string command, string workingDirectory)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    internal const string PrimaryEndpointName = "tcp";

    private EndpointReference? _primaryEndpoint;

    public EndpointReference PrimaryEndpoint => _primaryEndpoint ??= new(this, PrimaryEndpointName);

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"{PrimaryEndpoint.Property(EndpointProperty.Host)}:{PrimaryEndpoint.Property(EndpointProperty.Port)}");
}
