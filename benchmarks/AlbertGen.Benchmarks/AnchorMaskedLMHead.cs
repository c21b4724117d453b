using AlbertGen.Checkpoints;
using AlbertGen.Configuration;
using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Benchmarks;

/// <summary>
/// A float32 masked-LM head applied to a last hidden state from any engine, so that engines without a head (ONNX Runtime's
/// exports) can be compared on masked-LM top-1 agreement. The base anchor stores ALBERT's head (dense, gelu_new,
/// LayerNorm, the tied word embeddings and the output bias) and that is used. The small anchor stores an
/// <c>AlbertModel</c> only; there the head is made from its own weights, tied as ALBERT ties its decoder: the embedding
/// mapping transposed (hidden → embedding) and then the word embeddings, i.e. the vocabulary entry nearest the hidden state.
/// </summary>
internal sealed class AnchorMaskedLMHead : IDisposable
{
    private readonly Tensor _embeddings;
    private readonly Tensor? _dense, _denseBias, _normWeight, _normBias, _bias, _mapping;
    private readonly AlbertConfig _config;

    public AnchorMaskedLMHead(AnchorModel anchor)
    {
        _config = anchor.Config;
        using SafetensorsFile file = SafetensorsFile.Open(Path.Combine(anchor.Directory, "model.safetensors"));
        string prefix = file.Tensors.ContainsKey("albert.embeddings.word_embeddings.weight") ? "albert." : "";
        _embeddings = file.ReadTensor(prefix + "embeddings.word_embeddings.weight");
        if (file.Tensors.ContainsKey("predictions.dense.weight"))
        {
            _dense = file.ReadTensor("predictions.dense.weight");
            _denseBias = file.ReadTensor("predictions.dense.bias");
            _normWeight = file.ReadTensor("predictions.LayerNorm.weight");
            _normBias = file.ReadTensor("predictions.LayerNorm.bias");
            _bias = file.ReadTensor("predictions.bias");
        }
        else
        {
            _mapping = file.ReadTensor(prefix + "encoder.embedding_hidden_mapping_in.weight"); // [H, E]
        }
    }

    /// <summary>What the head is, for the tables.</summary>
    public string Kind => _mapping is null ? "the anchor's float32 masked-LM head" : "a head tied to the anchor's own weights (mapping transposed, then the word embeddings)";

    /// <summary>The arg-max token of every position of <paramref name="batch"/> given its last hidden state.</summary>
    public long[] TopOne(float[] lastHiddenState, BatchInputs batch)
    {
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        Tensor hidden = tensor(lastHiddenState, [batch.Batch, batch.Sequence, _config.HiddenSize]);
        Tensor x;
        if (_mapping is not null)
        {
            x = hidden.matmul(_mapping);
            return x.matmul(_embeddings.t()).argmax(-1).flatten().data<long>().ToArray();
        }

        x = nn.functional.gelu(nn.functional.linear(hidden, _dense!, _denseBias), TorchSharp.Modules.GELU.Approximate.tanh);
        x = nn.functional.layer_norm(x, [_config.EmbeddingSize], _normWeight, _normBias, _config.LayerNormEps);
        return nn.functional.linear(x, _embeddings, _bias).argmax(-1).flatten().data<long>().ToArray();
    }

    public void Dispose()
    {
        foreach (Tensor? t in new[] { _embeddings, _dense, _denseBias, _normWeight, _normBias, _bias, _mapping })
        {
            t?.Dispose();
        }
    }
}
