using Gateway.AuditService.Storage;
using Gateway.Contracts.Messages;

namespace Gateway.AuditService.Api;

/// <summary>The query string shared by <c>GET /api/audit</c> and <c>GET /api/audit/export</c>.</summary>
internal sealed record AuditQueryParameters(
    DateTimeOffset? From,
    DateTimeOffset? To,
    string? Client,
    string? Target,
    string? Backend,
    string? Method,
    AuditDecision? Decision,
    string? Status,
    int? ErrorCode)
{
    public AuditFilter ToFilter() => new()
    {
        From = From,
        To = To,
        ClientId = Blank(Client),
        Target = Blank(Target),
        Backend = Blank(Backend),
        Method = Blank(Method),
        Decision = Decision,
        Status = Blank(Status),
        ErrorCode = ErrorCode,
    };

    private static string? Blank(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
