namespace AlbertGen.Inference;

/// <summary>The matrix products of one ALBERT layer that an inference session gives a kernel.</summary>
internal enum LayerProduct
{
    /// <summary>Query, key and value fused into one product (<c>attention.qkv</c>).</summary>
    QueryKeyValue,

    /// <summary>The query alone, when nothing is derived from the weights (<c>attention.query</c>).</summary>
    Query,

    /// <summary>The key alone (<c>attention.key</c>).</summary>
    Key,

    /// <summary>The value alone (<c>attention.value</c>).</summary>
    Value,

    /// <summary>The attention output (<c>attention.dense</c>).</summary>
    AttentionOutput,

    /// <summary>The feed-forward input, GELU fused (<c>ffn</c>).</summary>
    FeedForward,

    /// <summary>The feed-forward output (<c>ffn_output</c>).</summary>
    FeedForwardOutput,
}

/// <summary>The names <see cref="ProductKernelChoice.Product"/> shows: the modules' HuggingFace names.</summary>
internal static class LayerProducts
{
    /// <summary>The product's name, as <see cref="ProductKernelChoice.Product"/> shows it.</summary>
    public static string Name(this LayerProduct product) => product switch
    {
        LayerProduct.QueryKeyValue => "attention.qkv",
        LayerProduct.Query => "attention.query",
        LayerProduct.Key => "attention.key",
        LayerProduct.Value => "attention.value",
        LayerProduct.AttentionOutput => "attention.dense",
        LayerProduct.FeedForward => "ffn",
        LayerProduct.FeedForwardOutput => "ffn_output",
        _ => throw new ArgumentOutOfRangeException(nameof(product), product, "Not a layer product."),
    };
}
