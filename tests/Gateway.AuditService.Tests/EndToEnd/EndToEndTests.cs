namespace Gateway.AuditService.Tests.EndToEnd;

/// <summary>
/// The end-to-end tests, run one after another: each starts real processes, and two systems starting at once on two
/// shared cores would only slow each other down.
/// </summary>
[CollectionDefinition(Name)]
public sealed class EndToEndTests : ICollectionFixture<SharedAuditSystem>
{
    public const string Name = "Audit system";
}
