namespace Gateway.AppHost.Infrastructure;

/// <summary>
/// A private RabbitMQ node run by DCP from the machine's <c>rabbitmq-server</c>, on loopback, with its data under the
/// run folder. Its connection string has the shape a RabbitMQ container's has.
/// </summary>
public sealed class RabbitMQNodeResource(string name, string command, string workingDirectory, ParameterResource password)
    : ExecutableResource(name, command, workingDirectory), IResourceWithConnectionString
{
    internal const string PrimaryEndpointName = "tcp";
    internal const string DistributionEndpointName = "dist";
    internal const string UserName = "gateway";

    private EndpointReference? _primaryEndpoint;

    public EndpointReference PrimaryEndpoint => _primaryEndpoint ??= new(this, PrimaryEndpointName);

    public ParameterResource Password { get; } = password;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create(
        $"amqp://{UserName}:{Password}@{PrimaryEndpoint.Property(EndpointProperty.Host)}:{PrimaryEndpoint.Property(EndpointProperty.Port)}/");
}
