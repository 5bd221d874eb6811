using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Motadata.Cache.AI.Internal;

/// <summary>
/// 8-bit copies of vectors for a first, cheap pass over many of them: a vector <c>v</c> is kept as
/// <c>q = round(v / s)</c> with <c>s = max|v| / 127</c>, a quarter of the float bytes, so 10,000 vectors of 1,536
/// dimensions are 15 MB (they fit a server CPU's L3 cache) instead of 61 MB. The approximate dot product comes with a
/// bound on its error, so a pass that keeps every vector whose approximation plus bound reaches the threshold misses
/// nothing; the survivors are then scored exactly on the floats.
/// </summary>
internal static class QuantizedVector
{
    /// <summary>Writes the 8-bit form of <paramref name="vector"/> into <paramref name="quantized"/>; returns its scale and L1 norm.</summary>
    public static (float Scale, float L1) Quantize(ReadOnlySpan<float> vector, Span<sbyte> quantized)
    {
        // MaxMagnitude returns the element itself, sign included.
        var max = vector.Length == 0 ? 0f : MathF.Abs(TensorPrimitives.MaxMagnitude(vector));
        var l1 = TensorPrimitives.SumOfMagnitudes(vector);
        if (!(max > 0f))
        {
            quantized.Clear();
            return (0f, l1);
        }

        var scale = max / 127f;
        var inverse = 1f / scale;
        for (var i = 0; i < vector.Length; i++)
        {
            quantized[i] = (sbyte)Math.Clamp(MathF.Round(vector[i] * inverse), -127f, 127f);
        }

        return (scale, l1);
    }

    /// <summary>
    /// The most the approximate dot product <c>sa·sb·(qa·qb)</c> can differ from the exact one: with
    /// <c>|a_i - sa·qa_i| ≤ sa/2</c>, the error is at most <c>(sb·L1(a) + sa·L1(b))/2 + 3·d·sa·sb/4</c>, plus a little for float rounding.
    /// </summary>
    public static float ErrorBound(float scaleA, float l1A, float scaleB, float l1B, int dimensions) =>
        (0.5f * ((scaleB * l1A) + (scaleA * l1B))) + (0.75f * dimensions * scaleA * scaleB) + 1e-4f;

    /// <summary>The dot product of two 8-bit vectors of the same length, as an exact integer.</summary>
    public static int Dot(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b)
    {
        var i = 0;
        var sum = 0;
        if (Avx2.IsSupported && a.Length >= Vector256<sbyte>.Count)
        {
            // Widen 32 bytes to two vectors of 16 shorts, multiply and add adjacent pairs into ints (vpmaddwd): no overflow.
            var accumulator = Vector256<int>.Zero;
            ref var left = ref MemoryMarshal.GetReference(a);
            ref var right = ref MemoryMarshal.GetReference(b);
            for (; i <= a.Length - Vector256<sbyte>.Count; i += Vector256<sbyte>.Count)
            {
                var va = Vector256.LoadUnsafe(ref left, (nuint)i);
                var vb = Vector256.LoadUnsafe(ref right, (nuint)i);
                var (aLow, aHigh) = Vector256.Widen(va);
                var (bLow, bHigh) = Vector256.Widen(vb);
                accumulator = Avx2.Add(accumulator, Avx2.MultiplyAddAdjacent(aLow, bLow));
                accumulator = Avx2.Add(accumulator, Avx2.MultiplyAddAdjacent(aHigh, bHigh));
            }

            sum = Vector256.Sum(accumulator);
        }
        else if (Vector128.IsHardwareAccelerated && a.Length >= Vector128<sbyte>.Count)
        {
            var accumulator = Vector128<int>.Zero;
            for (; i <= a.Length - Vector128<sbyte>.Count; i += Vector128<sbyte>.Count)
            {
                var (aLow, aHigh) = Vector128.Widen(Vector128.Create(a.Slice(i, Vector128<sbyte>.Count)));
                var (bLow, bHigh) = Vector128.Widen(Vector128.Create(b.Slice(i, Vector128<sbyte>.Count)));
                var (p0, p1) = Vector128.Widen(aLow * bLow);
                var (p2, p3) = Vector128.Widen(aHigh * bHigh);
                accumulator += p0 + p1 + p2 + p3;
            }

            sum = Vector128.Sum(accumulator);
        }

        for (; i < a.Length; i++)
        {
            sum += a[i] * b[i];
        }

        return sum;
    }
}
