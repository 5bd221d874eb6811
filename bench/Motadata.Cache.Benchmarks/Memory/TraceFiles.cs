using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;

namespace Motadata.Cache.Benchmarks.Memory;

/// <summary>
/// Reads the published cache traces in <c>shared/traces</c> (formats in its README) as dense key indices: the n-th
/// distinct key of a trace is index n, so every cache in a run sees the same keys.
/// </summary>
public static class TraceFiles
{
    /// <summary>The traces folder: <c>MOTADATA_TRACES</c> if set, else the first <c>shared/traces</c> found walking up from the working directory or the executable.</summary>
    public static string? FindFolder()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("MOTADATA_TRACES");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return Directory.Exists(fromEnvironment) ? fromEnvironment : null;
        }

        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                var candidate = Path.Combine(directory.FullName, "shared", "traces");
                if (File.Exists(Path.Combine(candidate, "README.md")))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>The ARC paper's text format: lines "start count ignored ignored", the keys start .. start+count-1.</summary>
    public static int[] ReadArc(string path)
    {
        var keys = new KeyIndex();
        using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress));
        while (reader.ReadLine() is { } line)
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2)
            {
                continue;
            }

            var start = long.Parse(parts[0], CultureInfo.InvariantCulture);
            var count = long.Parse(parts[1], CultureInfo.InvariantCulture);
            for (var i = 0L; i < count; i++)
            {
                keys.Add(start + i);
            }
        }

        return keys.ToTrace();
    }

    /// <summary>The LIRS format: one integer key per line; "*" lines are skipped.</summary>
    public static int[] ReadLirs(string path)
    {
        var keys = new KeyIndex();
        using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress));
        while (reader.ReadLine() is { } line)
        {
            line = line.Trim();
            if (line.Length == 0 || line == "*")
            {
                continue;
            }

            keys.Add(long.Parse(line, CultureInfo.InvariantCulture));
        }

        return keys.ToTrace();
    }

    /// <summary>Big-endian binary keys of <paramref name="width"/> bytes (4 or 8), gzip or xz compressed.</summary>
    public static int[] ReadBinary(string path, int width)
    {
        var keys = new KeyIndex();
        using var stream = Open(path, out var process);
        var buffer = new byte[width];
        while (true)
        {
            var read = 0;
            while (read < width)
            {
                var n = stream.Read(buffer, read, width - read);
                if (n == 0)
                {
                    break;
                }

                read += n;
            }

            if (read < width)
            {
                break;
            }

            keys.Add(width == 8 ? BinaryPrimitives.ReadInt64BigEndian(buffer) : BinaryPrimitives.ReadInt32BigEndian(buffer));
        }

        process?.WaitForExit();
        process?.Dispose();
        return keys.ToTrace();
    }

    private static BufferedStream Open(string path, out Process? process)
    {
        process = null;
        if (path.EndsWith(".xz", StringComparison.Ordinal))
        {
            // .NET has no xz decoder: the xz tool does it.
            var start = new ProcessStartInfo("xz", ["-dc", path]) { RedirectStandardOutput = true, UseShellExecute = false };
            process = Process.Start(start) ?? throw new InvalidOperationException("Could not start xz to read " + path);
            return new BufferedStream(process.StandardOutput.BaseStream, 1 << 16);
        }

        return new BufferedStream(new GZipStream(File.OpenRead(path), CompressionMode.Decompress), 1 << 16);
    }

    private sealed class KeyIndex
    {
        private readonly Dictionary<long, int> _indices = [];
        private readonly List<int> _trace = [];

        public void Add(long key)
        {
            if (!_indices.TryGetValue(key, out var index))
            {
                index = _indices.Count;
                _indices.Add(key, index);
            }

            _trace.Add(index);
        }

        public int[] ToTrace() => [.. _trace];
    }
}
