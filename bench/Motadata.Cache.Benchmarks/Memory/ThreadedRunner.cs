namespace Motadata.Cache.Benchmarks.Memory;

/// <summary>
/// Runs a body on N threads at once, the calling thread being thread 0, the others parked between runs (made once,
/// so a run pays two barrier crossings, not thread starts). <see cref="Run"/> returns the sum of the bodies' results.
/// </summary>
public sealed class ThreadedRunner : IDisposable
{
    private readonly Func<int, long> _body;
    private readonly long[] _results;
    private readonly Barrier? _start;
    private readonly Barrier? _done;
    private readonly int _threads;
    private volatile bool _stopping;

    public ThreadedRunner(int threads, Func<int, long> body)
    {
        _threads = threads;
        _body = body;
        _results = new long[threads * 8];
        if (threads > 1)
        {
            _start = new Barrier(threads);
            _done = new Barrier(threads);
            for (var t = 1; t < threads; t++)
            {
                var index = t;
                new Thread(() => Worker(index)) { IsBackground = true, Name = $"bench-{t}" }.Start();
            }
        }
    }

    public long Run()
    {
        if (_start is null)
        {
            return _body(0);
        }

        _start.SignalAndWait();
        _results[0] = _body(0);
        _done!.SignalAndWait();
        long total = 0;
        for (var t = 0; t < _threads; t++)
        {
            total += _results[t * 8];
        }

        return total;
    }

    public void Dispose()
    {
        if (_start is not null)
        {
            _stopping = true;
            _start.SignalAndWait(TimeSpan.FromSeconds(5));
        }
    }

    private void Worker(int index)
    {
        while (true)
        {
            _start!.SignalAndWait();
            if (_stopping)
            {
                return;
            }

            _results[index * 8] = _body(index);
            _done!.SignalAndWait();
        }
    }
}
