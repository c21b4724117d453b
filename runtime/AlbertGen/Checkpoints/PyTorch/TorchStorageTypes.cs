namespace AlbertGen.Checkpoints;

/// <summary>torch's typed storage classes (<c>torch.FloatStorage</c>, …), as pickles name them, and their element types.</summary>
internal static class TorchStorageTypes
{
    private static readonly Dictionary<string, SafetensorsDType> Types = new(StringComparer.Ordinal)
    {
        ["DoubleStorage"] = SafetensorsDType.F64,
        ["FloatStorage"] = SafetensorsDType.F32,
        ["HalfStorage"] = SafetensorsDType.F16,
        ["BFloat16Storage"] = SafetensorsDType.BF16,
        ["LongStorage"] = SafetensorsDType.I64,
        ["IntStorage"] = SafetensorsDType.I32,
        ["ShortStorage"] = SafetensorsDType.I16,
        ["CharStorage"] = SafetensorsDType.I8,
        ["ByteStorage"] = SafetensorsDType.U8,
        ["BoolStorage"] = SafetensorsDType.Bool,
    };

    /// <summary>The class names, without the <c>torch.</c> module.</summary>
    public static IReadOnlyCollection<string> ClassNames => Types.Keys;

    /// <summary>The element type of a storage global, or false when it is not a storage class.</summary>
    public static bool TryGetDType(object? storageType, out SafetensorsDType dtype)
    {
        dtype = default;
        return storageType is PickleGlobal { Module: "torch" } g && Types.TryGetValue(g.Name, out dtype);
    }
}
