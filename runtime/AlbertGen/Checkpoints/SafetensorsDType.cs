using static TorchSharp.torch;

namespace AlbertGen.Checkpoints;

/// <summary>Element types of the safetensors format that this reader supports.</summary>
public enum SafetensorsDType
{
    /// <summary><c>F64</c>: IEEE double.</summary>
    F64,
    /// <summary><c>F32</c>: IEEE single.</summary>
    F32,
    /// <summary><c>F16</c>: IEEE half.</summary>
    F16,
    /// <summary><c>BF16</c>: bfloat16.</summary>
    BF16,
    /// <summary><c>I64</c>: signed 64-bit integer.</summary>
    I64,
    /// <summary><c>I32</c>: signed 32-bit integer.</summary>
    I32,
    /// <summary><c>I16</c>: signed 16-bit integer.</summary>
    I16,
    /// <summary><c>I8</c>: signed byte.</summary>
    I8,
    /// <summary><c>U8</c>: unsigned byte.</summary>
    U8,
    /// <summary><c>BOOL</c>: one byte per value.</summary>
    Bool,
}

/// <summary>Conversions between safetensors dtype names, element sizes and TorchSharp scalar types.</summary>
public static class SafetensorsDTypes
{
    /// <summary>Parses a header dtype name (<c>F32</c>, <c>BF16</c>, …); false for names this reader does not support.</summary>
    /// <param name="name">The header's dtype string.</param>
    /// <param name="dtype">The parsed dtype.</param>
    /// <returns>Whether the name is supported.</returns>
    public static bool TryParse(string name, out SafetensorsDType dtype)
    {
        switch (name)
        {
            case "F64": dtype = SafetensorsDType.F64; return true;
            case "F32": dtype = SafetensorsDType.F32; return true;
            case "F16": dtype = SafetensorsDType.F16; return true;
            case "BF16": dtype = SafetensorsDType.BF16; return true;
            case "I64": dtype = SafetensorsDType.I64; return true;
            case "I32": dtype = SafetensorsDType.I32; return true;
            case "I16": dtype = SafetensorsDType.I16; return true;
            case "I8": dtype = SafetensorsDType.I8; return true;
            case "U8": dtype = SafetensorsDType.U8; return true;
            case "BOOL": dtype = SafetensorsDType.Bool; return true;
            default: dtype = default; return false;
        }
    }

    /// <summary>The header name of <paramref name="dtype"/>.</summary>
    /// <param name="dtype">The dtype.</param>
    /// <returns>For example <c>F32</c>.</returns>
    public static string Name(SafetensorsDType dtype) => dtype == SafetensorsDType.Bool ? "BOOL" : dtype.ToString();

    /// <summary>Bytes per element.</summary>
    /// <param name="dtype">The dtype.</param>
    /// <returns>1, 2, 4 or 8.</returns>
    public static int ElementSize(SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F64 or SafetensorsDType.I64 => 8,
        SafetensorsDType.F32 or SafetensorsDType.I32 => 4,
        SafetensorsDType.F16 or SafetensorsDType.BF16 or SafetensorsDType.I16 => 2,
        _ => 1,
    };

    /// <summary>The TorchSharp scalar type of <paramref name="dtype"/>.</summary>
    /// <param name="dtype">The dtype.</param>
    /// <returns>The scalar type.</returns>
    public static ScalarType ToScalarType(SafetensorsDType dtype) => dtype switch
    {
        SafetensorsDType.F64 => ScalarType.Float64,
        SafetensorsDType.F32 => ScalarType.Float32,
        SafetensorsDType.F16 => ScalarType.Float16,
        SafetensorsDType.BF16 => ScalarType.BFloat16,
        SafetensorsDType.I64 => ScalarType.Int64,
        SafetensorsDType.I32 => ScalarType.Int32,
        SafetensorsDType.I16 => ScalarType.Int16,
        SafetensorsDType.I8 => ScalarType.Int8,
        SafetensorsDType.U8 => ScalarType.Byte,
        _ => ScalarType.Bool,
    };

    /// <summary>The safetensors dtype of a TorchSharp scalar type.</summary>
    /// <param name="type">The scalar type.</param>
    /// <returns>The dtype.</returns>
    /// <exception cref="NotSupportedException">The type has no safetensors equivalent here (complex types).</exception>
    public static SafetensorsDType FromScalarType(ScalarType type) => type switch
    {
        ScalarType.Float64 => SafetensorsDType.F64,
        ScalarType.Float32 => SafetensorsDType.F32,
        ScalarType.Float16 => SafetensorsDType.F16,
        ScalarType.BFloat16 => SafetensorsDType.BF16,
        ScalarType.Int64 => SafetensorsDType.I64,
        ScalarType.Int32 => SafetensorsDType.I32,
        ScalarType.Int16 => SafetensorsDType.I16,
        ScalarType.Int8 => SafetensorsDType.I8,
        ScalarType.Byte => SafetensorsDType.U8,
        ScalarType.Bool => SafetensorsDType.Bool,
        _ => throw new NotSupportedException($"Tensors of type {type} cannot be written to safetensors."),
    };

    /// <summary>Whether the dtype holds floating-point values.</summary>
    /// <param name="dtype">The dtype.</param>
    /// <returns>True for F64, F32, F16, BF16.</returns>
    public static bool IsFloatingPoint(SafetensorsDType dtype) =>
        dtype is SafetensorsDType.F64 or SafetensorsDType.F32 or SafetensorsDType.F16 or SafetensorsDType.BF16;
}

/// <summary>One tensor entry of a safetensors header, validated.</summary>
/// <param name="Name">The tensor name.</param>
/// <param name="DType">The element type.</param>
/// <param name="Shape">The shape (empty for a scalar).</param>
/// <param name="Begin">Start offset in the data section.</param>
/// <param name="End">End offset (exclusive) in the data section.</param>
public sealed record SafetensorsTensorInfo(string Name, SafetensorsDType DType, IReadOnlyList<long> Shape, long Begin, long End)
{
    /// <summary>Number of elements (1 for a scalar).</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>The shape as <c>[a, b]</c>.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}
