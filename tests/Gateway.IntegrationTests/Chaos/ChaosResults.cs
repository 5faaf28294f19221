using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Gateway.IntegrationTests.Chaos;

/// <summary>
/// The suite's counts as a results file, written only when <see cref="Variable"/> names one (<c>bench/run chaos</c>
/// does; an ordinary test run writes nothing into the repository): JSON at that path, a Markdown table beside it
/// (<c>.md</c>). <c>bench/run</c> adds the machine and the command.
/// </summary>
public static class ChaosResults
{
    public const string Variable = "GATEWAY_CHAOS_RESULTS";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static void WriteIfAsked(IEnumerable<ChaosCounts> results)
    {
        if (Environment.GetEnvironmentVariable(Variable) is not { Length: > 0 } path)
        {
            return;
        }

        var ordered = results.OrderBy(r => r.Scenario, StringComparer.Ordinal).ToList();
        File.WriteAllText(path, JsonSerializer.Serialize(new { scenarios = ordered, holds = ordered.All(r => r.Holds) }, Json));
        File.WriteAllText(Path.ChangeExtension(path, ".md"), Markdown(ordered));
    }

    private static string Markdown(IReadOnlyList<ChaosCounts> results)
    {
        var text = new StringBuilder();
        text.AppendLine("| scenario | fault | sent | answered | refused (codes) | unanswered | audited | lost | refused unaudited | duplicated | retried | executed twice | overrides lost | recovered | holds |");
        text.AppendLine("| --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |");
        foreach (var r in results)
        {
            var codes = r.RefusedByCode.Count == 0 ? "" : " (" + string.Join(", ", r.RefusedByCode.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}: {c.Value}")) + ")";
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Scenario} | {r.Fault} | {r.Sent} | {r.Answered} | {r.Refused}{codes} | {r.Unanswered} | {r.Audited} | {r.Lost} | {r.RefusedUnaudited} | {r.Duplicated} | {r.Retried} | {r.ExecutedTwice} | {r.OverridesLost} | {(r.Recovered ? "yes" : "**no**")} | {(r.Holds ? "yes" : "**no**")} |");
        }

        return text.ToString();
    }
}
