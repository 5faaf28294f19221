using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.Contracts.Messages;

namespace Gateway.AuditService.Storage;

/// <summary>
/// How an LLM request's attempts are kept in the <c>attempts</c> column (text in SQLite, jsonb in PostgreSQL):
/// <c>[{"provider":"a","model":"m","outcome":"ok","httpStatus":200}]</c>, the names the query API uses, so a
/// <c>jsonb</c> query and the API read the same. Source-generated: the insert path does no reflection.
/// </summary>
internal static class LlmAttemptsJson
{
    public static string Serialize(IReadOnlyList<LlmAttempt> attempts) =>
        JsonSerializer.Serialize(attempts, AttemptsContext.Default.IReadOnlyListLlmAttempt);

    public static LlmAttempt[] Deserialize(string json) =>
        JsonSerializer.Deserialize(json, AttemptsContext.Default.LlmAttemptArray) ?? [];
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(IReadOnlyList<LlmAttempt>))]
[JsonSerializable(typeof(LlmAttempt[]))]
internal sealed partial class AttemptsContext : JsonSerializerContext;
