using Gateway.AuditService.Ingestion;
using Gateway.Contracts.Messages;

namespace Gateway.AuditService.Tests.Ingestion;

public sealed class TransitionRecordsTests
{
    [Fact]
    public void The_same_transition_always_maps_to_the_same_id()
    {
        var id = TransitionRecords.DeterministicId(nameof(CircuitStateChanged), "b1", 7);

        Assert.Equal(id, TransitionRecords.DeterministicId(nameof(CircuitStateChanged), "b1", 7));
        Assert.Equal(8, id.Version);
    }

    [Fact]
    public void Type_backend_and_sequence_each_change_the_id()
    {
        var ids = new[]
        {
            TransitionRecords.DeterministicId(nameof(CircuitStateChanged), "b1", 7),
            TransitionRecords.DeterministicId(nameof(BackendHealthChanged), "b1", 7),
            TransitionRecords.DeterministicId(nameof(CircuitStateChanged), "b2", 7),
            TransitionRecords.DeterministicId(nameof(CircuitStateChanged), "b1", 8),
        };

        Assert.Equal(ids.Length, ids.Distinct().Count());
    }
}
