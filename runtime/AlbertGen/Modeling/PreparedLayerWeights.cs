namespace AlbertGen.Modeling;

/// <summary>
/// One transformer layer's four products made ready for inference (<see cref="PreparedLinear"/>): laid out for oneDNN, after
/// conversion to a lower precision if one is asked for (<see cref="AlbertPreTrainedModel{TOutput}.MatMulDType"/>). ALBERT's
/// layer steps share their layers, so a pass needs each distinct layer prepared once however many steps use it, and the
/// encoder keeps the preparation from pass to pass while the parameters are unchanged (<see cref="VersionedCache{TKey, TValue}"/>).
/// </summary>
/// <remarks>
/// In a lower precision the products' outputs (biases included) are rounded once, and the residual sums that take the
/// attention and feed-forward outputs are computed in the model's dtype (type promotion), so the residual stream never
/// holds low-precision values.
/// </remarks>
/// <param name="Qkv">Fused query/key/value projection <c>H → 3·A</c>.</param>
/// <param name="Dense">Attention output projection <c>A → H</c>.</param>
/// <param name="Ffn">Feed-forward <c>H → I</c>.</param>
/// <param name="FfnOutput">Feed-forward output <c>I → H</c>.</param>
internal sealed record PreparedLayerWeights(PreparedLinear Qkv, PreparedLinear Dense, PreparedLinear Ffn, PreparedLinear FfnOutput) : IDisposable
{
    public void Dispose()
    {
        Qkv.Dispose();
        Dense.Dispose();
        Ffn.Dispose();
        FfnOutput.Dispose();
    }
}
