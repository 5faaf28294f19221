using System.Data.Common;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Gateway.Contracts.Messages;

namespace Gateway.AuditService.Storage;

/// <summary>
/// The read side shared by both stores. The schema is identical in SQLite and PostgreSQL (see
/// <see cref="AuditSchema"/>) and every statement here is portable SQL, so a query means the same thing on either.
/// Only the way an event id is bound as a parameter differs (SQLite keeps it as text, PostgreSQL as uuid).
/// </summary>
internal sealed class AuditQueries(Func<CancellationToken, Task<DbConnection>> openConnection, Func<Guid, object> bindEventId)
{
    /// <summary>The stored columns, in the order <see cref="ReadEvent"/> expects.</summary>
    public const string Columns =
        "event_id, ts_us, source, request_id, session_id, client_id, method, target, backend, decision, status, " +
        "error_code, latency_ms, response_bytes, arguments_sha256, arguments, detail, user_subject, " +
        LlmColumns;

    /// <summary>The LLM request's columns (schema version 3), the last ones of <see cref="Columns"/>.</summary>
    public const string LlmColumns = "upstream_model, streamed, ttfb_ms, input_tokens, output_tokens, attempts";

    /// <summary>The reader ordinal of the first of <see cref="LlmColumns"/>.</summary>
    public const int LlmOrdinal = 18;

    /// <summary>How many columns <see cref="Columns"/> names.</summary>
    public const int ColumnCount = LlmOrdinal + 6;

    public async Task<AuditPage> QueryAsync(AuditFilter filter, AuditCursor? after, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await openConnection(cancellationToken);
        await using var command = BuildSelect(connection, filter, after, limit + 1);
        var items = new List<AuditEvent>(Math.Min(limit + 1, 1024));
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(ReadEvent(reader));
            }
        }

        // One row more than asked says whether an older page exists without a COUNT.
        if (items.Count <= limit)
        {
            return new AuditPage(items, null);
        }

        items.RemoveAt(limit);
        var last = items[^1];
        return new AuditPage(items, new AuditCursor(AuditTime.ToMicros(last.Timestamp), last.EventId));
    }

    public async Task<AuditEvent?> FindAsync(Guid eventId, CancellationToken cancellationToken)
    {
        await using var connection = await openConnection(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {Columns} FROM audit_events WHERE event_id = @id";
        AddParameter(command, "@id", bindEventId(eventId));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadEvent(reader) : null;
    }

    public async IAsyncEnumerable<AuditEvent> ExportAsync(AuditFilter filter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var connection = await openConnection(cancellationToken);
        await using var command = BuildSelect(connection, filter, after: null, limit: null);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return ReadEvent(reader);
        }
    }

    public async Task<AuditStats> StatsAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        await using var connection = await openConnection(cancellationToken);
        var perMinute = new List<StatusCount>();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText =
                $"SELECT ts_us / {AuditTime.MicrosPerMinute} AS minute, status, COUNT(*) FROM audit_events " +
                "WHERE ts_us >= @from AND ts_us < @to GROUP BY ts_us / " + AuditTime.MicrosPerMinute + ", status ORDER BY 1, 2";
            AddWindow(command, from, to);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                perMinute.Add(new StatusCount(
                    AuditTime.FromMicros(reader.GetInt64(0) * AuditTime.MicrosPerMinute), reader.GetString(1), reader.GetInt64(2)));
            }
        }

        var latency = new List<BackendLatency>();
        await using (var command = connection.CreateCommand())
        {
            // Nearest-rank percentiles with window functions, which both engines have (SQLite has no percentile_disc):
            // the p-th percentile of n sorted values is the value at rank ceil(p * n / 100) = (p * n + 99) / 100.
            command.CommandText =
                """
                SELECT backend, n,
                       MAX(CASE WHEN rn = (50 * n + 99) / 100 THEN latency_ms END),
                       MAX(CASE WHEN rn = (95 * n + 99) / 100 THEN latency_ms END),
                       MAX(CASE WHEN rn = (99 * n + 99) / 100 THEN latency_ms END)
                FROM (SELECT backend, latency_ms,
                             ROW_NUMBER() OVER (PARTITION BY backend ORDER BY latency_ms) AS rn,
                             COUNT(*) OVER (PARTITION BY backend) AS n
                      FROM audit_events
                      WHERE ts_us >= @from AND ts_us < @to AND backend IS NOT NULL AND decision = 'Allowed') AS ranked
                GROUP BY backend, n
                ORDER BY backend
                """;
            AddWindow(command, from, to);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                latency.Add(new BackendLatency(
                    reader.GetString(0), reader.GetInt64(1), reader.GetDouble(2), reader.GetDouble(3), reader.GetDouble(4)));
            }
        }

        var tokens = new List<TokenUsage>();
        await using (var command = connection.CreateCommand())
        {
            // LLM requests only (attempts is set exactly for them); the sums are cast because PostgreSQL widens SUM(bigint) to numeric.
            command.CommandText =
                """
                SELECT client_id, target, COUNT(*),
                       CAST(COALESCE(SUM(input_tokens), 0) AS bigint), CAST(COALESCE(SUM(output_tokens), 0) AS bigint)
                FROM audit_events
                WHERE ts_us >= @from AND ts_us < @to AND attempts IS NOT NULL
                GROUP BY client_id, target
                ORDER BY client_id, target
                """;
            AddWindow(command, from, to);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                tokens.Add(new TokenUsage(
                    NullableString(reader, 0), NullableString(reader, 1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4)));
            }
        }

        return new AuditStats(from, to, perMinute, latency, tokens);
    }

    /// <summary>The retention statement: the oldest <c>@limit</c> rows before <c>@cutoff</c>, so each delete stays short.</summary>
    public static DbCommand BuildDeleteOlderThan(DbConnection connection, DateTimeOffset cutoff, int batchSize)
    {
        var command = connection.CreateCommand();
        command.CommandText =
            "DELETE FROM audit_events WHERE event_id IN " +
            "(SELECT event_id FROM audit_events WHERE ts_us < @cutoff ORDER BY ts_us LIMIT @limit)";
        AddParameter(command, "@cutoff", AuditTime.ToMicros(cutoff));
        AddParameter(command, "@limit", batchSize);
        return command;
    }

    public static AuditEvent ReadEvent(DbDataReader reader) => new(
        EventId: reader.GetGuid(0),
        Timestamp: AuditTime.FromMicros(reader.GetInt64(1)),
        Source: reader.GetString(2),
        RequestId: NullableString(reader, 3),
        SessionId: NullableString(reader, 4),
        ClientId: NullableString(reader, 5),
        Method: reader.GetString(6),
        Target: NullableString(reader, 7),
        Backend: NullableString(reader, 8),
        Decision: Enum.Parse<AuditDecision>(reader.GetString(9)),
        Status: reader.GetString(10),
        ErrorCode: reader.IsDBNull(11) ? null : reader.GetInt32(11),
        LatencyMs: reader.GetDouble(12),
        ResponseBytes: reader.GetInt64(13),
        ArgumentsSha256: NullableString(reader, 14),
        Arguments: NullableString(reader, 15),
        Detail: NullableString(reader, 16),
        User: NullableString(reader, 17),
        Llm: ReadLlm(reader));

    /// <summary>The attempts column is set exactly when the event has an LLM part (see <see cref="AuditSchema"/>).</summary>
    private static LlmCallAudit? ReadLlm(DbDataReader reader)
    {
        const int first = LlmOrdinal;
        return reader.IsDBNull(first + 5) ? null : new LlmCallAudit(
            UpstreamModel: NullableString(reader, first),
            Attempts: LlmAttemptsJson.Deserialize(reader.GetString(first + 5)),
            Streamed: !reader.IsDBNull(first + 1) && reader.GetBoolean(first + 1),
            TimeToFirstByteMs: reader.IsDBNull(first + 2) ? null : reader.GetDouble(first + 2),
            InputTokens: reader.IsDBNull(first + 3) ? null : reader.GetInt64(first + 3),
            OutputTokens: reader.IsDBNull(first + 4) ? null : reader.GetInt64(first + 4));
    }

    public static void AddParameter(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
    }

    private DbCommand BuildSelect(DbConnection connection, AuditFilter filter, AuditCursor? after, int? limit)
    {
        var command = connection.CreateCommand();
        var sql = new StringBuilder($"SELECT {Columns} FROM audit_events WHERE 1 = 1");
        void Criterion(string clause, string name, object? value)
        {
            if (value is not null)
            {
                sql.Append(" AND ").Append(clause);
                AddParameter(command, name, value);
            }
        }

        Criterion("ts_us >= @from", "@from", filter.From is { } from ? AuditTime.ToMicros(from) : null);
        Criterion("ts_us < @to", "@to", filter.To is { } to ? AuditTime.ToMicros(to) : null);
        Criterion("client_id = @client", "@client", filter.ClientId);
        Criterion("target = @target", "@target", filter.Target);
        Criterion("backend = @backend", "@backend", filter.Backend);
        Criterion("method = @method", "@method", filter.Method);
        Criterion("decision = @decision", "@decision", filter.Decision?.ToString());
        Criterion("status = @status", "@status", filter.Status);
        Criterion("error_code = @error", "@error", filter.ErrorCode);
        if (after is { } cursor)
        {
            // A row-value comparison is one range scan on the (ts_us, event_id) index in both engines.
            sql.Append(" AND (ts_us, event_id) < (@after_ts, @after_id)");
            AddParameter(command, "@after_ts", cursor.TimestampMicros);
            AddParameter(command, "@after_id", bindEventId(cursor.EventId));
        }

        sql.Append(" ORDER BY ts_us DESC, event_id DESC");
        if (limit is { } rows)
        {
            sql.Append(" LIMIT ").Append(rows.ToString(CultureInfo.InvariantCulture));
        }

        command.CommandText = sql.ToString();
        return command;
    }

    private static void AddWindow(DbCommand command, DateTimeOffset from, DateTimeOffset to)
    {
        AddParameter(command, "@from", AuditTime.ToMicros(from));
        AddParameter(command, "@to", AuditTime.ToMicros(to));
    }

    private static string? NullableString(DbDataReader reader, int ordinal) =>
        reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
