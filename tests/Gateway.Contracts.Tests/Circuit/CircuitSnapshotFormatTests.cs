using Gateway.Contracts.Circuit;
using Gateway.Contracts.Messages;

namespace Gateway.Contracts.Tests.Circuit;

public sealed class CircuitSnapshotFormatTests
{
    [Fact]
    public void Sequence_prefix_plus_serialized_remainder_round_trips()
    {
        var change = new CircuitStateChanged(0, "alpha", CircuitState.Open, CircuitState.Closed, 2, "timeout: slow", "monitor",
            new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 1, 1, 0, 0, 10, TimeSpan.Zero));

        var stored = "{\"sequence\":42" + CircuitSnapshotFormat.SerializeAfterSequence(change);

        Assert.Equal(change with { Sequence = 42 }, CircuitSnapshotFormat.ParseCircuit(stored));
    }

    [Fact]
    public void Parse_reads_circuits_health_and_sequence_and_skips_garbage()
    {
        var health = new BackendHealthChanged(0, "beta", false, "probe: refused", DateTimeOffset.UnixEpoch);
        var fields = new Dictionary<string, string>
        {
            [CircuitSnapshotFormat.SequenceField] = "7",
            [CircuitSnapshotFormat.HealthField("beta")] = "{\"sequence\":7" + CircuitSnapshotFormat.SerializeAfterSequence(health),
            [CircuitSnapshotFormat.CircuitField("alpha")] = "not json",
        };

        var snapshot = CircuitSnapshotFormat.Parse(fields);

        Assert.Equal(7, snapshot.Sequence);
        Assert.Empty(snapshot.Circuits);
        Assert.Equal(health with { Sequence = 7 }, Assert.Single(snapshot.Health));
    }
}
