using AlbertGen.Inference.Int8;
using AlbertGen.Inference.Kernels;
using AlbertGen.Inference.Managed;
using AlbertGen.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace AlbertGen.Inference;

/// <summary>Compiles models for inference (<see cref="CompileForInference{TOutput}"/>).</summary>
public static class InferenceCompiler
{
    /// <summary>
    /// Compiles <paramref name="model"/> for inference: chooses each product's kernel from the CPU's features and the
    /// product's shape (or <see cref="InferenceOptions.Kernel"/>), and makes what the kernels need (fused Q/K/V, converted
    /// or prepacked weights). The model is not changed.
    /// </summary>
    /// <typeparam name="TOutput">The model's output record.</typeparam>
    /// <param name="model">A model in eval mode.</param>
    /// <param name="options">Products' dtype, forced kernel, CPU features; null for <see cref="InferenceOptions.Default"/>.</param>
    /// <returns>The session; dispose it before the model.</returns>
    /// <exception cref="InvalidOperationException">The model is in training mode.</exception>
    /// <exception cref="ArgumentException"><see cref="InferenceOptions.MatMulDType"/> is not a floating-point dtype.</exception>
    /// <exception cref="PlatformNotSupportedException">A forced kernel, or forced fused layers (<see cref="InferenceOptions.FusedLayers"/>), cannot run here (the message says why).</exception>
    public static InferenceSession<TOutput> CompileForInference<TOutput>(this AlbertPreTrainedModel<TOutput> model, InferenceOptions? options = null)
        where TOutput : AlbertOutput
    {
        ArgumentNullException.ThrowIfNull(model);
        options ??= InferenceOptions.Default;
        MixedPrecision.CheckProductDType(options.MatMulDType, nameof(InferenceOptions.MatMulDType));
        if (model.training)
        {
            throw new InvalidOperationException(
                $"The {model.HuggingFaceClassName} is in training mode; call eval() before compiling it for inference (dropout would otherwise stay active in its embeddings and head).");
        }

        if (options.Device is { } wanted && !AlbertDevice.Same(wanted, model.Device))
        {
            throw new ArgumentException(
                $"InferenceOptions.Device is {AlbertDevice.Name(wanted)} but the model is on {AlbertDevice.Name(model.Device)}; move the model with to(device) first.",
                nameof(options));
        }

        CpuFeatures cpu = options.Cpu ?? CpuFeatures.Current;
        AlbertTransformer encoder = model.Encoder;
        AlbertLayer[][] layers = encoder.Groups.Select(g => g.Layers.ToArray()).ToArray();
        WeightWatch watch = WeightWatch.Start(() => model.WeightsGeneration, [encoder.EmbeddingMapping, .. layers.SelectMany(g => g).SelectMany(ProductModules)]);
        var warnings = new List<string>();
        DeviceType device = model.Device.type;
        ManagedWeightStorage storage = watch.TracksInPlaceChanges ? ProductKernels.ManagedWeightStorageFor(options.MatMulDType, model.DType, cpu, device, options.Kernel) : ManagedWeightStorage.Float32;
        ScalarType dtype = ProductsDType(model.DType, options.MatMulDType, model.Device.type, cpu, watch.TracksInPlaceChanges, storage, warnings);
        Int8Support.CheckRequest(options, cpu, model.DType, device, watch.TracksInPlaceChanges);

        AlbertConfig config = model.Config;
        bool int8Products = options.Int8 && Int8Products(config, cpu);
        bool fusedRuns = FusedPathChoice.Runs(options, FusedPathChoice.WhyNot(model.DType, dtype, device, options, cpu, watch.TracksInPlaceChanges, int8Products));
        var compiled = new List<CompiledLayer[]>();
        FusedEncoder? fused = null;
        try
        {
            using var noGrad = no_grad();
            // A session that runs fused keeps no per-product layers: they would only double the packed weights.
            foreach (AlbertLayer[] group in fusedRuns ? [] : layers)
            {
                compiled.Add(group.Select(layer => CompiledLayer.Compile(layer, dtype, watch.TracksInPlaceChanges,
                    (product, outputs, inputs) => ProductKernels.Choose(cpu, dtype, product, outputs, inputs, device, options.Kernel, options.Int8, storage), cpu, storage)).ToArray());
            }

            if (fusedRuns)
            {
                ManagedIsa isa = ManagedProducts.BestIsa(cpu) ?? throw new PlatformNotSupportedException($"Managed products need AVX2 and FMA or AVX-512; this CPU (as allowed) has: {cpu}.");
                fused = FusedEncoder.Create(encoder, (float)model.Config.LayerNormEps, isa, (weight, bias, outputs, inputs, activation) =>
                    ManagedProducts.Create(weight, bias, outputs, inputs, activation, cpu, storage, isa));
            }
        }
        catch
        {
            foreach (CompiledLayer layer in compiled.SelectMany(g => g))
            {
                layer.Dispose();
            }

            throw;
        }

        return new InferenceSession<TOutput>(model, new CompiledEncoder([.. compiled], dtype, fused), watch, cpu, dtype, warnings);
    }

    /// <summary>
    /// The kernels a session compiled from a model with <paramref name="config"/> in <paramref name="modelDType"/> on the CPU
    /// would choose, without loading any weights (what <c>albertgen info</c> prints). A session may still fall back to
    /// libtorch for a product whose packing fails; <see cref="InferenceSession{TOutput}.Products"/> tells what it runs.
    /// </summary>
    /// <param name="config">The model's configuration.</param>
    /// <param name="modelDType">The model's parameter dtype.</param>
    /// <param name="options">As for <see cref="CompileForInference{TOutput}"/>.</param>
    /// <returns>The products' dtype, every product's kernel, and the warnings a session would give.</returns>
    /// <exception cref="PlatformNotSupportedException">A forced kernel, or forced fused layers, cannot run here.</exception>
    public static InferencePlan Plan(AlbertConfig config, ScalarType modelDType, InferenceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        options ??= InferenceOptions.Default;
        MixedPrecision.CheckProductDType(options.MatMulDType, nameof(InferenceOptions.MatMulDType));
        CpuFeatures cpu = options.Cpu ?? CpuFeatures.Current;
        DeviceType device = options.Device?.type ?? DeviceType.CPU;
        var warnings = new List<string>();
        ManagedWeightStorage storage = TensorVersions.IsAvailable ? ProductKernels.ManagedWeightStorageFor(options.MatMulDType, modelDType, cpu, device, options.Kernel) : ManagedWeightStorage.Float32;
        ScalarType dtype = ProductsDType(modelDType, options.MatMulDType, device, cpu, TensorVersions.IsAvailable, storage, warnings);
        Int8Support.CheckRequest(options, cpu, modelDType, device, TensorVersions.IsAvailable);
        string? whyNotFused = FusedPathChoice.WhyNot(modelDType, dtype, device, options, cpu, TensorVersions.IsAvailable, options.Int8 && Int8Products(config, cpu));
        bool fusedRuns = FusedPathChoice.Runs(options, whyNotFused);
        string? fusedKernel = ManagedProducts.BestIsa(cpu) is { } isa ? ManagedProducts.Name(isa, storage) : null;
        var products = new List<ProductKernelChoice>();
        for (int g = 0; g < config.NumHiddenGroups; g++)
        {
            for (int l = 0; l < config.InnerGroupNum; l++)
            {
                foreach ((LayerProduct product, long outputs, long inputs) in ProductShapes(config))
                {
                    // A session that runs fused has only the fused layers' products.
                    string kernel = fusedRuns ? fusedKernel!
                        : ProductKernels.Name(
                            TensorVersions.IsAvailable ? ProductKernels.Choose(cpu, dtype, product, outputs, inputs, device, options.Kernel, options.Int8, storage) : ProductKernel.Libtorch,
                            dtype, cpu, storage);
                    products.Add(new ProductKernelChoice(g, l, product.Name(), outputs, inputs, kernel));
                }
            }
        }

        return new InferencePlan(cpu, dtype, products, warnings)
        {
            FusedLayers = fusedKernel is null ? null : FusedPathChoice.Describe(fusedKernel, fusedRuns),
        };
    }

    /// <summary>
    /// The products' dtype: the requested one, unless the CPU cannot run it natively or the session may not derive weights.
    /// bfloat16 requested on a CPU without native bfloat16 runs float32 products on bfloat16-stored weights where the
    /// managed kernels run (<paramref name="storage"/>), without a warning: the weights are what bfloat16 rounds.
    /// </summary>
    private static ScalarType ProductsDType(ScalarType model, ScalarType? requested, DeviceType device, CpuFeatures cpu, bool mayDerive, ManagedWeightStorage storage, List<string> warnings)
    {
        ScalarType dtype = requested ?? model;
        bool cpuLacksBFloat16 = device == DeviceType.CPU && !cpu.HasNativeBFloat16;
        if (dtype == ScalarType.BFloat16 && cpuLacksBFloat16 && storage == ManagedWeightStorage.BFloat16)
        {
            dtype = model;
        }
        else if (dtype == ScalarType.BFloat16 && cpuLacksBFloat16)
        {
            if (model == ScalarType.BFloat16)
            {
                warnings.Add($"The model's parameters are bfloat16 but this CPU has no native bfloat16 (it has: {cpu}); libtorch emulates it, several times slower than float32: load the model in float32.");
            }
            else
            {
                warnings.Add($"bfloat16 products need a CPU with native bfloat16 (AVX512-BF16, AMX-BF16 or AVX-NE-CONVERT); this one has {cpu}: running {ProductKernels.DTypeName(model)} products instead.");
                dtype = model;
            }
        }

        if (dtype != model && !mayDerive)
        {
            warnings.Add($"libtorch's version counters cannot be read here, so the session keeps no converted weights: running {ProductKernels.DTypeName(model)} products instead of {ProductKernels.DTypeName(dtype)}.");
            dtype = model;
        }

        return dtype;
    }

    /// <summary>Whether int8 (<see cref="InferenceOptions.Int8"/>) puts any of a layer's products on an int8 kernel.</summary>
    private static bool Int8Products(AlbertConfig config, CpuFeatures cpu) =>
        ProductShapes(config).Any(p => Int8Support.Chooses(cpu, p.Outputs, p.Inputs));

    /// <summary>The products of one layer a session gives a kernel, with their outputs and inputs.</summary>
    private static (LayerProduct Product, long Outputs, long Inputs)[] ProductShapes(AlbertConfig config)
    {
        long hidden = config.HiddenSize, all = (long)config.NumAttentionHeads * config.AttentionHeadSize, inner = config.IntermediateSize;
        return [(LayerProduct.QueryKeyValue, 3 * all, hidden), (LayerProduct.AttentionOutput, hidden, all), (LayerProduct.FeedForward, inner, hidden), (LayerProduct.FeedForwardOutput, hidden, inner)];
    }

    private static IEnumerable<AlbertLinear> ProductModules(AlbertLayer layer) =>
        [layer.Attention.Query, layer.Attention.Key, layer.Attention.Value, layer.Attention.Dense, layer.Ffn, layer.FfnOutput];
}
