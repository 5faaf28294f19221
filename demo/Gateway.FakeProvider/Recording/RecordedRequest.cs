namespace Gateway.FakeProvider.Recording;

/// <summary>One <c>/v1/*</c> request as it arrived: every header (values of a repeated header joined by ", ") and the raw body.</summary>
public sealed record RecordedRequest(
    string Method,
    string Path,
    string QueryString,
    IReadOnlyDictionary<string, string> Headers,
    string Body,
    DateTimeOffset ReceivedAt);
