namespace Gateway.FakeProvider.Faults;

/// <summary>What the fake does wrong; on the wire in kebab case (<c>rate-limit</c>, <c>cut-stream</c>...).</summary>
public enum FaultMode
{
    /// <summary>Answer normally.</summary>
    None,

    /// <summary>Wait <see cref="FaultPlan.LatencyMs"/> before the response headers, then answer normally.</summary>
    Latency,

    /// <summary>Answer <see cref="FaultPlan.Status"/> with an error body in the API's shape.</summary>
    Error,

    /// <summary>Answer 429 with <c>Retry-After: </c><see cref="FaultPlan.RetryAfterSeconds"/> and an error body in the API's shape.</summary>
    RateLimit,

    /// <summary>Wait <see cref="FaultPlan.ChunkDelayMs"/> between the events of a streamed response.</summary>
    SlowStream,

    /// <summary>
    /// Send <see cref="FaultPlan.AfterEvents"/> events of a streamed response, then close the connection short of the
    /// declared length (no terminal event); a non-streamed response is cut after half its body.
    /// </summary>
    CutStream,

    /// <summary>After the first event of a streamed response, a data line that is not JSON and a line that is no SSE field; the rest follows normally.</summary>
    MalformedSse,

    /// <summary>200 with <c>application/json</c> and a body that is not JSON.</summary>
    GarbageJson,

    /// <summary>Never answer; the request ends when the client gives up.</summary>
    Hang,
}
