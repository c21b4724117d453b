namespace AlbertGen.Modeling;

/// <summary>
/// One transformer layer's four products made ready for one inference pass (<see cref="PreparedLinear"/>): laid out for
/// oneDNN, after conversion to a lower precision if one is asked for (<see cref="AlbertPreTrainedModel{TOutput}.MatMulDType"/>).
/// ALBERT's layer steps share their layers, so a pass prepares each distinct layer once however many steps use it.
/// </summary>
/// <remarks>
/// The preparation is made per pass rather than kept: nothing can go stale when the parameters change (loading, training,
/// in-place edits; TorchSharp exposes no version counter to notice them), and concurrent passes each own theirs. The cost,
/// one read of the layer's weights per pass (28 MB for albert-base, about 4 ms), is small beside what it saves.
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
