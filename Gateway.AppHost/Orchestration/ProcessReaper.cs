using System.Diagnostics;
using System.Globalization;

namespace Gateway.AppHost.Orchestration;

/// <summary>
/// Guarantees that no child outlives the AppHost, even when the AppHost is SIGKILLed. A small bash process holds the
/// read end of a pipe; the AppHost writes the process group of every child it starts (and removes it when the child
/// is gone). When the pipe reaches end-of-file (the AppHost exited for whatever reason) the reaper sends SIGTERM to
/// every group still listed, waits, then SIGKILLs them. PR_SET_PDEATHSIG is not used: it fires when the forking
/// *thread* exits, and .NET forks from thread-pool threads.
/// </summary>
internal sealed class ProcessReaper : IDisposable
{
    private const string Script = """
        trap '' INT TERM HUP
        declare -A groups
        while read -r op group; do
          case "$op" in
            +) groups[$group]=1 ;;
            -) unset "groups[$group]" ;;
          esac
        done
        [ ${#groups[@]} -eq 0 ] && exit 0
        for g in "${!groups[@]}"; do kill -TERM -- "-$g" 2>/dev/null; done
        for _ in $(seq 50); do
          alive=0
          for g in "${!groups[@]}"; do kill -0 -- "-$g" 2>/dev/null && alive=1; done
          [ $alive -eq 0 ] && exit 0
          sleep 0.1
        done
        for g in "${!groups[@]}"; do kill -KILL -- "-$g" 2>/dev/null; done
        exit 0
        """;

    private readonly Lock _lock = new();
    private readonly Process _process;

    private ProcessReaper(Process process) => _process = process;

    public int ProcessId => _process.Id;

    public static ProcessReaper Start()
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Script);
        var process = Process.Start(start) ?? throw new AppHostException("Could not start bash, which the AppHost needs to supervise its children.");
        return new ProcessReaper(process);
    }

    public void Track(int groupId) => Write('+', groupId);

    public void Untrack(int groupId) => Write('-', groupId);

    /// <summary>Closes the pipe: the reaper cleans up whatever is still listed and exits.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            try
            {
                _process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The reaper is already gone; nothing left to tell it.
            }
        }

        _process.WaitForExit(TimeSpan.FromSeconds(10));
        _process.Dispose();
    }

    private void Write(char op, int groupId)
    {
        lock (_lock)
        {
            _process.StandardInput.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{op} {groupId}"));
            _process.StandardInput.Flush();
        }
    }
}
