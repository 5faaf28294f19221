using MassTransit;

namespace Gateway.Messaging;

public static class PerInstanceEndpoints
{
    /// <summary>
    /// Gives a consumer a queue of this replica's own, named after <paramref name="instanceId"/> and deleted when the
    /// replica disconnects: every replica then receives every message, where a shared queue would hand each message
    /// to one of them. The bus declares, starts, re-declares after a broker restart and stops the queue with itself.
    /// </summary>
    public static void PerInstance(this IEndpointRegistrationConfigurator endpoint, string instanceId)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentException.ThrowIfNullOrWhiteSpace(instanceId);
        endpoint.InstanceId = instanceId;
        endpoint.Temporary = true;
    }
}
