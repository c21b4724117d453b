namespace AlbertGen.Checkpoints;

/// <summary>An allowed global a pickle named (<c>module.name</c>); a reference only, never imported or called.</summary>
internal sealed record PickleGlobal(string Module, string Name)
{
    public string FullName => $"{Module}.{Name}";
}

/// <summary>A pickled tuple.</summary>
internal sealed record PickleTuple(object?[] Items);

/// <summary>A pickled dict or OrderedDict: its items in order (keys may repeat; the last one wins, as in Python).</summary>
internal sealed class PickleDict
{
    public List<KeyValuePair<object?, object?>> Items { get; } = new();
}

/// <summary>A torch storage named by a persistent id: its element type, its key in the file, its length in elements.</summary>
/// <param name="DType">The element type its storage class names.</param>
/// <param name="Key">The storage's key (the zip entry <c>data/KEY</c>, or the legacy file's storage key).</param>
/// <param name="ElementCount">Elements the pickle says it holds.</param>
/// <param name="ViewOffset">For a legacy storage view: where it starts in its root storage (elements); else 0.</param>
internal sealed record PickleStorage(SafetensorsDType DType, string Key, long ElementCount, long ViewOffset);

/// <summary>A tensor rebuilt (as a description only) by <c>torch._utils._rebuild_tensor_v2</c> or its kin.</summary>
internal sealed record PickleTensor(PickleStorage Storage, long Offset, long[] Shape, long[] Strides);
