using AlbertGen.Modeling;
using static TorchSharp.torch;

namespace AlbertGen.Inference.Managed;

/// <summary>
/// The encoder run in managed buffers (<see cref="FusedLayer"/>): the embeddings' E→H mapping, then every layer step, with
/// no libtorch call between reading the embeddings and writing the last hidden state. Fewer, larger steps than the
/// per-product path, which is what small models and short inputs are bound by (<c>benchmarks/README.md</c>).
/// </summary>
/// <remarks>
/// Immutable and thread-safe: a call's buffers are the calling thread's own (kept between calls, grown as needed), and the
/// products hold no per-call state. In a session the layers' products are borrowed from the compiled layers' kernels and only the mapping product is owned.
/// </remarks>
internal sealed unsafe class FusedEncoder : IDisposable
{
    /// <summary>Rows (whole sequences, at least one) a call runs through all the layers at a time (<see cref="RunRows"/>).</summary>
    internal const int ChunkRows = 256;

    [ThreadStatic]
    private static NativeScratch? t_buffers;

    [ThreadStatic]
    private static NativeScratch? t_inputs;

    private readonly IManagedProduct _mapping;
    private readonly FusedLayer[][] _groups;
    private readonly IManagedProduct[] _owned;
    private readonly int _hidden;

    /// <summary>Makes the encoder from its mapping product and its layers by group.</summary>
    /// <param name="mapping">The E→H mapping product (owned: disposed with the encoder).</param>
    /// <param name="groups">The layers, by group.</param>
    /// <param name="owned">Products of the layers the encoder owns (disposed with it); the others are borrowed.</param>
    /// <exception cref="ArgumentException">The layers' hidden sizes differ from the mapping's outputs.</exception>
    public FusedEncoder(IManagedProduct mapping, FusedLayer[][] groups, IEnumerable<IManagedProduct>? owned = null)
    {
        if (groups.SelectMany(g => g).FirstOrDefault(l => l.Hidden != mapping.Outputs) is { } odd)
        {
            throw new ArgumentException($"A fused layer has hidden size {odd.Hidden}, the embedding mapping outputs {mapping.Outputs}.", nameof(groups));
        }

        _mapping = mapping;
        _groups = groups;
        _owned = [mapping, .. owned ?? []];
        _hidden = mapping.Outputs;
    }

    /// <summary>
    /// A fused encoder over <paramref name="encoder"/>'s modules: the mapping and every layer's products made by
    /// <paramref name="make"/> (from the weight <c>[N, K]</c>, bias and activation; query, key and value fused) and owned;
    /// the LayerNorms and distance embeddings are the model's, read at each call; the attention runs on the microkernels of
    /// <paramref name="isa"/>.
    /// </summary>
    public static FusedEncoder Create(AlbertTransformer encoder, float eps, ManagedIsa isa, Func<ReadOnlySpan<float>, ReadOnlySpan<float>, int, int, AlbertActivation?, IManagedProduct> make)
    {
        var owned = new List<IManagedProduct>();
        IManagedProduct Make(Tensor weight, Tensor bias, AlbertActivation? activation)
        {
            using Tensor w = weight.contiguous(), b = bias.contiguous();
            int outputs = (int)w.shape[0], inputs = (int)w.shape[1];
            IManagedProduct product = make(
                new ReadOnlySpan<float>(TensorMemory.Floats(w, "A product weight"), outputs * inputs),
                new ReadOnlySpan<float>(TensorMemory.Floats(b, "A product bias"), outputs), outputs, inputs, activation);
            owned.Add(product);
            return product;
        }

        try
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            FusedLayer[][] groups = encoder.Groups.Select(g => g.Layers.Select(layer =>
            {
                AlbertAttention a = layer.Attention;
                return new FusedLayer(
                    Make(cat([a.Query.weight!, a.Key.weight!, a.Value.weight!], 0), cat([a.Query.bias!, a.Key.bias!, a.Value.bias!], 0), null),
                    Make(a.Dense.weight!, a.Dense.bias!, null),
                    Make(layer.Ffn.weight!, layer.Ffn.bias!, layer.Activation),
                    Make(layer.FfnOutput.weight!, layer.FfnOutput.bias!, null),
                    a.OutputLayerNorm, layer.OutputLayerNorm, a.Heads, eps, isa,
                    a.DistanceEmbedding, a.MaxPositions, a.PositionType == PositionEmbeddingType.RelativeKeyQuery);
            }).ToArray()).ToArray();
            IManagedProduct mapping = Make(encoder.EmbeddingMapping.weight!, encoder.EmbeddingMapping.bias!, null);
            owned.Remove(mapping);
            return new FusedEncoder(mapping, groups, owned);
        }
        catch
        {
            owned.ForEach(p => p.Dispose());
            throw;
        }
    }

    /// <summary>The embedding mapping product.</summary>
    public IManagedProduct Mapping => _mapping;

    /// <summary>The layers, by group.</summary>
    public IReadOnlyList<IReadOnlyList<FusedLayer>> Groups => _groups;

    /// <summary>As <see cref="IEncoderExecution.Run"/>: every layer step of <paramref name="encoder"/> on <paramref name="embeddings"/>.</summary>
    /// <param name="encoder">The model's encoder (its step order is used).</param>
    /// <param name="embeddings">Embeddings <c>[B, S, E]</c>, float32.</param>
    /// <param name="mask">Additive mask <c>[B, 1, 1, S]</c>, float32, or null.</param>
    /// <param name="hiddenStates">Receives the hidden states (the mapping's output, then each step's), or null.</param>
    /// <returns>The last hidden state <c>[B, S, H]</c>.</returns>
    public Tensor Run(AlbertTransformer encoder, Tensor embeddings, Tensor? mask, List<Tensor>? hiddenStates)
    {
        int batch = (int)embeddings.shape[0], seq = (int)embeddings.shape[1];
        if (embeddings.shape[2] != _mapping.Inputs)
        {
            throw new ArgumentException($"The embeddings have {embeddings.shape[2]} features; the encoder's mapping takes {_mapping.Inputs}.", nameof(embeddings));
        }

        using Tensor input = embeddings.contiguous();
        using Tensor? contiguousMask = mask?.contiguous();
        float* hidden = RunRows(encoder, TensorMemory.Floats(input, "The embeddings"),
            contiguousMask is null ? null : TensorMemory.Floats(contiguousMask, "The attention mask"), batch, seq, hiddenStates);
        Tensor last = ToTensor(hidden, batch, seq);
        hiddenStates?.Add(last);
        return last;
    }

    /// <summary>
    /// As <see cref="IEncoderExecution.TryRunFromIds"/>: the embeddings (<see cref="FusedEmbeddings"/>), every layer step
    /// and the pooler (<see cref="FusedPooler"/>) of validated inputs with ids, in managed buffers from the ids to the outputs.
    /// </summary>
    /// <exception cref="ArgumentException">The embeddings' width is not what the encoder's mapping takes.</exception>
    public AlbertModelOutput RunFromIds(AlbertEmbeddings embeddings, AlbertTransformer encoder, Tensor? poolerWeight, Tensor? poolerBias, AlbertInputs inputs)
    {
        Tensor ids = inputs.InputIds!;
        int batch = (int)ids.shape[0], seq = (int)ids.shape[1], rows = batch * seq;
        if (embeddings.WordEmbeddingWeight.shape[1] != _mapping.Inputs)
        {
            throw new ArgumentException($"The word embeddings have {embeddings.WordEmbeddingWeight.shape[1]} features; the encoder's mapping takes {_mapping.Inputs}.", nameof(embeddings));
        }

        float* embedded = NativeScratch.For(ref t_inputs, ((long)rows * _mapping.Inputs) + rows);
        FusedEmbeddings.Run(embeddings, inputs, batch, seq, embedded);
        float* mask = null;
        if (inputs.AttentionMask is { } attentionMask)
        {
            mask = embedded + ((long)rows * _mapping.Inputs);
            FusedEmbeddings.Mask(attentionMask, rows, mask);
        }

        List<Tensor>? hiddenStates = inputs.OutputHiddenStates ? [] : null;
        float* hidden = RunRows(encoder, embedded, mask, batch, seq, hiddenStates);
        Tensor last = ToTensor(hidden, batch, seq);
        hiddenStates?.Add(last);
        Tensor? pooled = null;
        if (poolerWeight is not null && poolerBias is not null)
        {
            pooled = empty([batch, _hidden], ScalarType.Float32);
            FusedPooler.Run(hidden, batch, seq, _hidden, TensorMemory.Floats(poolerWeight, "The pooler weight"), TensorMemory.Floats(poolerBias, "The pooler bias"),
                TensorMemory.Floats(pooled, "The pooled output"));
        }

        return new AlbertModelOutput(last, pooled, hiddenStates, null);
    }

    /// <summary>
    /// The mapping and every layer step over the embedding rows, a chunk of whole sequences at a time (sequences do not
    /// see each other, so this is exact); returns the calling thread's buffer holding the last hidden rows.
    /// </summary>
    /// <remarks>
    /// A chunk is about <see cref="ChunkRows"/> rows, so one layer's buffers (about 5 KiB a row for the small anchor) stay
    /// in the caches from one step to the next instead of going out to memory between them: 32×128 on the small anchor ran
    /// in 55 ms chunked against 64 ms as one block (AMD EPYC Zen 4, 2 cores, the same minutes).
    /// </remarks>
    private float* RunRows(AlbertTransformer encoder, float* embeddings, float* maskRows, int batch, int seq, List<Tensor>? hiddenStates)
    {
        int rows = batch * seq;
        int chunk = Math.Max(1, Math.Min(batch, ChunkRows / seq));
        int chunkRows = chunk * seq;
        long layerScratch = 0;
        foreach (FusedLayer[] group in _groups)
        {
            foreach (FusedLayer layer in group)
            {
                layerScratch = Math.Max(layerScratch, layer.ScratchFloats(chunkRows));
            }
        }

        float* hidden = NativeScratch.For(ref t_buffers, ((long)rows * _hidden) + layerScratch);
        float* scratch = hidden + ((long)rows * _hidden);
        Tensor[]? states = hiddenStates is null ? null : new Tensor[encoder.LayerSteps];
        for (int i = 0; states is not null && i < states.Length; i++)
        {
            states[i] = empty([batch, seq, _hidden], ScalarType.Float32);
        }

        for (int first = 0; first < batch; first += chunk)
        {
            int count = Math.Min(chunk, batch - first);
            long offset = (long)first * seq;
            float* part = hidden + (offset * _hidden);
            ManagedProductRunner.Run(_mapping, embeddings + (offset * _mapping.Inputs), _mapping.Inputs, count * seq, part, _hidden);
            CopyRows(part, states, 0, offset, count * seq);
            float* partMask = maskRows is null ? null : maskRows + offset;
            for (int step = 0; step < encoder.LayerSteps; step++)
            {
                foreach (FusedLayer layer in _groups[AlbertTransformer.GroupOfStep(step, encoder.LayerSteps, _groups.Length)])
                {
                    layer.Run(part, partMask, scratch, count, seq);
                }

                if (step < encoder.LayerSteps - 1)
                {
                    CopyRows(part, states, step + 1, offset, count * seq);
                }
            }
        }

        hiddenStates?.AddRange(states!);
        return hidden;
    }

    /// <summary>Copies <paramref name="count"/> hidden rows into rows <paramref name="offset"/>… of hidden state <paramref name="index"/>, when states are kept.</summary>
    private void CopyRows(float* rows, Tensor[]? states, int index, long offset, int count)
    {
        if (states is null)
        {
            return;
        }

        long bytes = (long)count * _hidden * sizeof(float);
        Buffer.MemoryCopy(rows, TensorMemory.Floats(states[index], "A hidden state") + (offset * _hidden), bytes, bytes);
    }

    /// <summary>Frees the products the encoder owns.</summary>
    public void Dispose()
    {
        foreach (IManagedProduct product in _owned)
        {
            product.Dispose();
        }
    }

    private Tensor ToTensor(float* rows, int batch, int seq)
    {
        Tensor result = empty([batch, seq, _hidden], ScalarType.Float32);
        long bytes = (long)batch * seq * _hidden * sizeof(float);
        Buffer.MemoryCopy(rows, TensorMemory.Floats(result, "The hidden state"), bytes, bytes);
        return result;
    }
}
