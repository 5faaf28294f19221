using System.Security.Cryptography;
using System.Text;
using CsCheck;
using Gateway.Contracts.Messages;

namespace Gateway.Contracts.Tests.Messages;

/// <summary>Whatever text a publisher is handed, <see cref="AuditLimits.Bound"/> makes it one the audit service stores.</summary>
public sealed class AuditLimitsTests
{
    /// <summary>Any UTF-16, lone surrogates and NUL included, at lengths around every limit.</summary>
    private static readonly Gen<string> Hostile = Gen.OneOf(
        Gen.String,
        Gen.Char.Array[0, 3000].Select(c => new string(c)),
        Gen.Select(Gen.Int[0, 3000], Gen.Char['\uD800', '\uDFFF']).Select((n, s) => new string('x', n) + s),
        Gen.Int[0, 9000].Select(n => new string('é', n) + "\0"));

    [Fact]
    public void A_bounded_value_always_fits_and_a_fitting_value_is_kept_as_it_is() =>
        Gen.Select(Hostile, Gen.OneOf(Gen.Const(AuditLimits.MaxNameLength), Gen.Const(AuditLimits.MaxTargetLength), Gen.Int[73, 5000]))
            .Sample((value, max) =>
            {
                var bounded = AuditLimits.Bound(value, max);
                return AuditLimits.Fits(bounded, max) && (!AuditLimits.Fits(value, max) || ReferenceEquals(bounded, value));
            });

    [Fact]
    public void A_value_too_long_keeps_its_start_and_the_hash_of_the_whole()
    {
        var value = new string('a', 300) + "😀" + new string('b', 300);

        var bounded = AuditLimits.Bound(value, AuditLimits.MaxNameLength)!;

        Assert.Equal(AuditLimits.MaxNameLength, bounded.Length);
        Assert.StartsWith(new string('a', 100), bounded, StringComparison.Ordinal);
        Assert.EndsWith("\u2026sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value))), bounded, StringComparison.Ordinal);
        Assert.NotEqual(bounded, AuditLimits.Bound(value + "c", AuditLimits.MaxNameLength));
    }

    [Fact]
    public void A_cut_never_splits_a_surrogate_pair()
    {
        var value = new string('a', AuditLimits.MaxNameLength - 73) + string.Concat(Enumerable.Repeat("😀", 200));

        Assert.True(AuditLimits.IsStorable(AuditLimits.Bound(value, AuditLimits.MaxNameLength)));
    }

    [Fact]
    public void NUL_and_lone_surrogates_become_the_replacement_character()
    {
        // Built here, not in attributes: test discovery would itself replace a lone surrogate in an attribute's string.
        Assert.Equal("id\uFFFD", AuditLimits.Bound("id\0", AuditLimits.MaxNameLength));
        Assert.Equal("a\uFFFDb", AuditLimits.Bound("a\uD800b", AuditLimits.MaxNameLength));
        Assert.Equal("\uFFFD\uD83D\uDE00", AuditLimits.Bound("\uDC00\uD83D\uDE00", AuditLimits.MaxNameLength));
    }

    [Fact]
    public void The_validator_refuses_a_lone_surrogate_that_no_database_could_store() =>
        Assert.Equal("RequestId contains a lone surrogate", AuditEventValidator.Validate(new AuditEvent(
            Guid.NewGuid(), DateTimeOffset.UnixEpoch, "proxy/t", "x\uD800", null, null, "tools/call", null, null,
            AuditDecision.Allowed, "ok", null, 0, 0, null, null, null)));
}
