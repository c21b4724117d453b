using AlbertGen.Inference.Managed;
using AlbertGen.Modeling;

namespace AlbertGen.Tests.Inference.Managed;

/// <summary>
/// A plain-loop <see cref="IManagedProduct"/> (double accumulation) for testing what drives products: the fused layer is
/// checked on it independently of the optimised kernels, and it tiles oddly (column alignment 3, scratch used) so a driver
/// that mis-tiles or ignores the scratch fails.
/// </summary>
internal sealed unsafe class ReferenceProduct(float[] weight, float[] bias, int outputs, int inputs, AlbertActivation? activation) : IManagedProduct
{
    public string Name => "reference";

    public int Inputs => inputs;

    public int Outputs => outputs;

    public long WeightBytes => (weight.Length + bias.Length) * sizeof(float);

    public int ColumnAlignment => 3;

    public int ScratchBytes(int rows) => rows * inputs * sizeof(float);

    /// <summary>Copies the input into the scratch; <see cref="Run"/> reads only the copy.</summary>
    public void Prepare(float* input, int inputStride, int rows, byte* scratch)
    {
        for (int r = 0; r < rows; r++)
        {
            new ReadOnlySpan<float>(input + ((long)r * inputStride), inputs).CopyTo(new Span<float>((float*)scratch + ((long)r * inputs), inputs));
        }
    }

    public void Run(float* input, int inputStride, byte* scratch, float* output, int outputStride, float* addend, int firstRow, int rowCount, int firstColumn, int columnCount)
    {
        float* copy = (float*)scratch;
        for (int r = firstRow; r < firstRow + rowCount; r++)
        {
            for (int c = firstColumn; c < firstColumn + columnCount; c++)
            {
                double sum = bias[c];
                for (int k = 0; k < inputs; k++)
                {
                    sum += (double)copy[((long)r * inputs) + k] * weight[((long)c * inputs) + k];
                }

                double value = Activate(sum);
                if (addend is not null)
                {
                    value += addend[((long)r * outputStride) + c];
                }

                output[((long)r * outputStride) + c] = (float)value;
            }
        }
    }

    public void Dispose()
    {
    }

    private double Activate(double x) => activation switch
    {
        null => x,
        AlbertActivation.Gelu => 0.5 * x * (1 + Erf(x / Math.Sqrt(2))),
        AlbertActivation.GeluNew or AlbertActivation.GeluFast => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + (0.044715 * x * x * x)))),
        AlbertActivation.QuickGelu => x / (1 + Math.Exp(-1.702 * x)),
        AlbertActivation.Relu => Math.Max(0, x),
        AlbertActivation.Silu => x / (1 + Math.Exp(-x)),
        _ => throw new ArgumentOutOfRangeException(nameof(activation)),
    };

    /// <summary>erf by its Taylor series (|x| ≤ 3) or its asymptotic complement: far below float32 precision either way.</summary>
    private static double Erf(double x)
    {
        double a = Math.Abs(x);
        if (a > 3)
        {
            // erfc(a) < 2.3e-5 here, and its first terms are accurate to far better than that.
            double erfc = Math.Exp(-a * a) / (a * Math.Sqrt(Math.PI)) * (1 - (1 / (2 * a * a)) + (3 / (4 * a * a * a * a)));
            return Math.Sign(x) * (1 - erfc);
        }

        double term = a, sum = a;
        for (int n = 1; n < 80; n++)
        {
            term *= -a * a / n;
            sum += term / ((2 * n) + 1);
        }

        return Math.Sign(x) * 2 / Math.Sqrt(Math.PI) * sum;
    }
}
