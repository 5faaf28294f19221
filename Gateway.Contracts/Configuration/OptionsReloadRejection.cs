namespace Gateway.Contracts.Configuration;

/// <summary>A reload that failed validation and was not applied: when, and every error it had.</summary>
public sealed record OptionsReloadRejection(DateTimeOffset RejectedAt, IReadOnlyList<string> Errors);
