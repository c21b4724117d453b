using AlbertGen.Checkpoints;
using AlbertGen.Configuration;
using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Benchmarks;

/// <summary>
/// The anchor's masked-LM head in float32 (dense, gelu_new, LayerNorm, the tied word embeddings and the output bias),
/// applied to a last hidden state from any engine, so that engines without the head (ONNX Runtime's export) can be
/// compared on masked-LM top-1 agreement.
/// </summary>
internal sealed class AnchorMaskedLMHead : IDisposable
{
    private readonly Tensor _dense, _denseBias, _normWeight, _normBias, _embeddings, _bias;
    private readonly AlbertConfig _config;

    public AnchorMaskedLMHead(string directory, AlbertConfig config)
    {
        _config = config;
        using SafetensorsFile file = SafetensorsFile.Open(Path.Combine(directory, "model.safetensors"));
        _dense = file.ReadTensor("predictions.dense.weight");
        _denseBias = file.ReadTensor("predictions.dense.bias");
        _normWeight = file.ReadTensor("predictions.LayerNorm.weight");
        _normBias = file.ReadTensor("predictions.LayerNorm.bias");
        _embeddings = file.ReadTensor("albert.embeddings.word_embeddings.weight");
        _bias = file.ReadTensor("predictions.bias");
    }

    /// <summary>The arg-max token of every position of <paramref name="batch"/> given its last hidden state.</summary>
    public long[] TopOne(float[] lastHiddenState, BatchInputs batch)
    {
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        Tensor hidden = tensor(lastHiddenState, [batch.Batch, batch.Sequence, _config.HiddenSize]);
        Tensor x = nn.functional.gelu(nn.functional.linear(hidden, _dense, _denseBias), TorchSharp.Modules.GELU.Approximate.tanh);
        x = nn.functional.layer_norm(x, [_config.EmbeddingSize], _normWeight, _normBias, _config.LayerNormEps);
        return nn.functional.linear(x, _embeddings, _bias).argmax(-1).flatten().data<long>().ToArray();
    }

    public void Dispose()
    {
        foreach (Tensor t in new[] { _dense, _denseBias, _normWeight, _normBias, _embeddings, _bias })
        {
            t.Dispose();
        }
    }
}
