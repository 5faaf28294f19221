namespace Gateway.AppHost.Orchestration;

/// <summary>A resource's captured stdout/stderr: the last lines in memory for the dashboard, every line in its log file.</summary>
internal sealed class ResourceLog : IDisposable
{
    private const int Capacity = 200;
    private readonly Queue<string> _tail = new();
    private readonly StreamWriter _file;
    private readonly Lock _lock = new();

    public ResourceLog(string path)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        Path = path;
        _file = new StreamWriter(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)) { AutoFlush = true };
    }

    public string Path { get; }

    public void Append(string line)
    {
        lock (_lock)
        {
            if (_tail.Count == Capacity)
            {
                _tail.Dequeue();
            }

            _tail.Enqueue(line);
            _file.WriteLine(line);
        }
    }

    public IReadOnlyList<string> Tail(int count)
    {
        lock (_lock)
        {
            return _tail.Skip(Math.Max(0, _tail.Count - count)).ToArray();
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _file.Dispose();
        }
    }
}
