using Gateway.Contracts.Messages;

namespace Gateway.Proxy.Tests.Audit;

internal static class AuditTestEvents
{
    /// <summary>An event whose <c>RequestId</c> is its sequence number, so tests can check order and completeness.</summary>
    public static AuditEvent Numbered(int n) => new(
        Guid.NewGuid(), DateTimeOffset.UnixEpoch.AddSeconds(n), "proxy/test", n.ToString(System.Globalization.CultureInfo.InvariantCulture),
        "s", "c", "tools/call", "echo", "alpha", AuditDecision.Allowed, "ok", null, 1.5, 10, null, null, null);

    public static int Number(AuditEvent auditEvent) => int.Parse(auditEvent.RequestId!, System.Globalization.CultureInfo.InvariantCulture);

    public static string TempDirectory() => Path.Combine(Path.GetTempPath(), "gateway-tests", Guid.NewGuid().ToString("N"));
}
