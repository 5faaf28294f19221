using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Gateway.Bench.Llm;

/// <summary>
/// Sleeps until an absolute <see cref="Stopwatch"/> timestamp with microsecond precision, without spinning.
/// </summary>
/// <remarks>
/// <c>Task.Delay</c> and <c>Thread.Sleep</c> wake on millisecond ticks, so a generator paced by them sends its calls
/// in bursts one to two milliseconds late, and that lateness (and the queueing of each burst) is what a percentile
/// "from the scheduled start" then mostly measures. <c>clock_nanosleep</c> on the monotonic clock with an absolute
/// deadline (the clock <see cref="Stopwatch"/> reads on Linux) and a 1 µs timer slack wakes as soon as the kernel
/// can after the deadline (a few microseconds on bare metal, about 65 µs on this VM, the same for every call of every
/// run), and a sleeping thread takes no CPU from the gateway being measured.
/// </remarks>
internal static partial class PreciseSchedule
{
    private const int ClockMonotonic = 1;
    private const int TimerAbsoluteTime = 1;
    private const int SetTimerSlack = 29;
    private const long NanosecondsPerSecond = 1_000_000_000;

    /// <summary>Whether this platform supports it: Linux, where <see cref="Stopwatch"/> counts nanoseconds of CLOCK_MONOTONIC.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux() && Stopwatch.Frequency == NanosecondsPerSecond;

    /// <summary>Makes the calling thread's timed sleeps precise to a microsecond (the default slack is 50 µs).</summary>
    public static void UseFineTimerSlack()
    {
        if (IsSupported)
        {
            _ = prctl(SetTimerSlack, 1, 0, 0, 0);
        }
    }

    /// <summary>Blocks the calling thread until <paramref name="timestamp"/> (a <see cref="Stopwatch.GetTimestamp"/> value).</summary>
    public static void SleepUntil(long timestamp)
    {
        if (!IsSupported)
        {
            var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp);
            if (remaining > TimeSpan.Zero)
            {
                Thread.Sleep(remaining);
            }

            return;
        }

        var deadline = new Timespec { Seconds = timestamp / NanosecondsPerSecond, Nanoseconds = timestamp % NanosecondsPerSecond };
        // EINTR (a signal) returns early: sleep again until the deadline has passed.
        while (Stopwatch.GetTimestamp() < timestamp && clock_nanosleep(ClockMonotonic, TimerAbsoluteTime, in deadline, IntPtr.Zero) != 0)
        {
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc")]
    private static partial int clock_nanosleep(int clockId, int flags, in Timespec request, IntPtr remaining);

    [LibraryImport("libc")]
    private static partial int prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);
}
