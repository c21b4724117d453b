using TorchSharp;
using AlbertGen.Checkpoints;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>
/// Base of every ALBERT model and head: the config, HuggingFace's weight initialisation, loading and saving
/// checkpoints in HuggingFace layout. Parameter names are the HuggingFace checkpoint keys
/// (<c>albert.encoder.albert_layer_groups.0.albert_layers.0.attention.query.weight</c>, …).
/// </summary>
/// <typeparam name="TOutput">The output record of <see cref="nn.Module{T, TResult}.forward(T)"/>.</typeparam>
/// <remarks>
/// A new model is on the CPU in float32 with random weights. Move it with TorchSharp's <c>to(device)</c> /
/// <c>to(dtype)</c> or through <see cref="LoadOptions.Device"/> and <see cref="LoadOptions.DType"/>. Call
/// <c>eval()</c> for inference (dropout is active only in training mode, TorchSharp's default for new modules
/// is training) and wrap calls in <c>torch.inference_mode()</c> when no gradients are needed.
/// Every intermediate tensor of a forward call is disposed; the returned output owns its tensors.
/// <para>
/// Thread safety: once loaded and in eval mode, one model may run <c>forward</c> from many threads at once. A forward
/// call only reads the parameters and keeps no state between calls; TorchSharp's dispose scopes and libtorch's grad and
/// inference modes are per thread (enter <c>torch.inference_mode()</c> on the thread that calls <c>forward</c>), so each
/// call frees its own intermediates and hands its output to its caller. Not safe while other threads run <c>forward</c>:
/// <see cref="LoadWeights"/>, <c>to(device)</c>/<c>to(dtype)</c> and <c>train()</c>/<c>eval()</c>; training (backward,
/// optimizer steps) on a model shared between threads is not supported.
/// </para>
/// <para>
/// The model is the plain description of ALBERT, one <c>forward</c> per module as in HuggingFace's
/// <c>modeling_albert.py</c>, and holds nothing derived for speed. For fast inference compile it:
/// <c>model.CompileForInference()</c> (namespace <c>AlbertGen.Inference</c>) gives an immutable session with fused,
/// converted and prepacked weights and product kernels chosen for the CPU.
/// </para>
/// <para>
/// No process-wide state is changed by the library: <c>torch.set_num_threads</c>, the environment, the C allocator, the
/// culture and the console are left alone unless the application calls <see cref="AlbertRuntime.ConfigureForInference"/>.
/// </para>
/// </remarks>
public abstract class AlbertPreTrainedModel<TOutput> : nn.Module<AlbertInputs, TOutput>
    where TOutput : AlbertOutput
{
    /// <summary>Initialises the base; derived constructors register their modules, then call <see cref="InitializeWeights"/>.</summary>
    /// <param name="name">The module name (the HuggingFace class name).</param>
    /// <param name="config">The configuration; dimensions are read from it once.</param>
    private protected AlbertPreTrainedModel(string name, AlbertConfig config) : base(name)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
    }

    /// <summary>The configuration the model was built from.</summary>
    public AlbertConfig Config { get; }

    /// <summary>The HuggingFace class this model corresponds to (written to <c>architectures</c> by <see cref="Save"/>).</summary>
    public abstract string HuggingFaceClassName { get; }

    /// <summary>The device the parameters are on.</summary>
    public Device Device => WordEmbeddingWeight.device;

    /// <summary>The dtype of the parameters (float32, bfloat16 or float16).</summary>
    public ScalarType DType => WordEmbeddingWeight.dtype;

    /// <summary>The encoder (shared-layer transformer) of the body.</summary>
    internal abstract AlbertTransformer Encoder { get; }

    /// <summary>
    /// The body: the <see cref="AlbertModel"/> a head model runs under its head (its <c>albert</c> submodule, sharing its
    /// parameters), or the bare model itself.
    /// </summary>
    internal abstract AlbertModel Body { get; }

    /// <summary>
    /// Counts the library's weight-changing calls on this model (<see cref="LoadWeights"/>, TorchSharp's <c>load</c> and
    /// <c>load_state_dict</c>, <c>to(…)</c>, <c>train()</c>/<c>eval()</c>): an inference session compiled at one generation
    /// refuses to run at another. Changes made in place through libtorch (optimizer steps, <c>mul_</c>) are seen through
    /// the parameters' version counters instead.
    /// </summary>
    internal long WeightsGeneration => Interlocked.Read(ref _weightsGeneration);

    private long _weightsGeneration;

    /// <summary>Records that the weights (or the mode) may have changed: sessions compiled before are out of date.</summary>
    internal void MarkWeightsChanged() => Interlocked.Increment(ref _weightsGeneration);

    /// <summary>
    /// <see cref="nn.Module{T, TResult}.forward(T)"/> with the encoder's layer steps run by <paramref name="execution"/>
    /// (an inference session) when it is given, by the encoder itself otherwise.
    /// </summary>
    internal abstract TOutput Forward(AlbertInputs inputs, IEncoderExecution? execution);

    /// <inheritdoc />
    public override void train(bool on = true)
    {
        MarkWeightsChanged();
        base.train(on);
    }

    /// <inheritdoc />
    public override (IList<string> missing_keys, IList<string> unexpected_keyes) load_state_dict(Dictionary<string, Tensor> source, bool strict = true, IList<string>? skip = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        MarkWeightsChanged();
        try
        {
            return base.load_state_dict(source, strict, skip);
        }
        finally
        {
            MarkWeightsChanged();
        }
    }

    /// <inheritdoc />
    protected override nn.Module _to(Device device, ScalarType dtype, bool non_blocking)
    {
        MarkWeightsChanged();
        return base._to(device, dtype, non_blocking);
    }

    /// <inheritdoc />
    protected override nn.Module _to(DeviceType deviceType, int deviceIndex, bool non_blocking)
    {
        MarkWeightsChanged();
        return base._to(deviceType, deviceIndex, non_blocking);
    }

    /// <inheritdoc />
    protected override nn.Module _to(ScalarType dtype, bool non_blocking)
    {
        MarkWeightsChanged();
        return base._to(dtype, non_blocking);
    }

    /// <summary><c>"albert."</c> for heads (whose body lives under <c>albert</c>), <c>""</c> for the bare <see cref="AlbertModel"/>.</summary>
    internal abstract string BodyPrefix { get; }

    /// <summary>The word-embedding table <c>[V, E]</c>.</summary>
    internal abstract Parameter WordEmbeddingWeight { get; }

    /// <summary>
    /// Loads HuggingFace weights: a <c>.safetensors</c> file, a PyTorch <c>.bin</c> (zip or legacy pickle, read by a
    /// restricted reader that runs nothing), a Flax <c>.msgpack</c>, a TensorFlow <c>.h5</c>, a sharded <c>*.index.json</c>,
    /// or a directory holding any of them (the first present of safetensors, PyTorch, Flax, TensorFlow, as HuggingFace
    /// chooses). Tensors are converted to the model's dtype and device (use <paramref name="options"/> to move the model first).
    /// </summary>
    /// <param name="fileOrDirectory">Checkpoint file or directory.</param>
    /// <param name="options">Strictness, fine-tuning preparation, device and dtype; defaults when null.</param>
    /// <returns>Which keys were loaded, missing, unexpected or ignored.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="fileOrDirectory"/> is null.</exception>
    /// <exception cref="CheckpointException">The checkpoint does not fit the model (missing weights in strict mode, wrong shapes,
    /// unknown keys, no checkpoint found).</exception>
    /// <exception cref="CheckpointFormatException">A weights file is malformed or truncated; <see cref="UnsafePickleException"/>
    /// when a pickle names a global a state dict does not need.</exception>
    public LoadReport LoadWeights(string fileOrDirectory, LoadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(fileOrDirectory);
        options ??= new LoadOptions();
        if (options.DType is { } dtype && dtype != DType)
        {
            this.to(dtype);
        }

        if (options.Device is { } device && (device.type != Device.type || device.index != Device.index))
        {
            this.to(device);
        }

        // The loader may write through raw pointers, which libtorch's version counters do not see.
        MarkWeightsChanged();
        try
        {
            return CheckpointLoader.Load(this, BodyPrefix, fileOrDirectory, options);
        }
        finally
        {
            MarkWeightsChanged();
        }
    }

    /// <summary>
    /// Saves the model in HuggingFace layout: <c>model.safetensors</c> (float tensors in the model's dtype, the tied MLM
    /// decoder not stored) and <c>config.json</c> with <c>architectures</c> = [<see cref="HuggingFaceClassName"/>].
    /// </summary>
    /// <param name="directory">Target directory; created if needed, existing files replaced.</param>
    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        var tensors = new List<KeyValuePair<string, Tensor>>();
        foreach ((string name, Parameter p) in named_parameters())
        {
            tensors.Add(new(name, p));
        }

        SafetensorsWriter.Write(Path.Combine(directory, "model.safetensors"), tensors);
        AlbertConfigWriter.WriteFile(Config, directory, [HuggingFaceClassName]);
    }

    /// <summary>
    /// Creates a model from a HuggingFace directory: reads <c>config.json</c>, builds the model with
    /// <paramref name="create"/>, loads the weights (<c>model.safetensors</c> or a sharded index) and switches to eval mode.
    /// Each model class also has a non-generic <c>FromPretrained(directory, options)</c>; this overload serves derived
    /// (generated) classes: <c>AlbertPreTrainedModel&lt;MaskedLMOutput&gt;.FromPretrained(dir, _ =&gt; new MyTypedModel())</c>.
    /// </summary>
    /// <typeparam name="TModel">The model type.</typeparam>
    /// <param name="directory">Directory with <c>config.json</c> and the weights.</param>
    /// <param name="create">Builds the model from the config read.</param>
    /// <param name="options">Loading options.</param>
    /// <returns>The loaded model in eval mode.</returns>
    /// <exception cref="AlbertConfigException">The config is invalid.</exception>
    /// <exception cref="CheckpointException">The weights do not fit (see <see cref="LoadWeights"/>).</exception>
    public static TModel FromPretrained<TModel>(string directory, Func<AlbertConfig, TModel> create, LoadOptions? options = null)
        where TModel : AlbertPreTrainedModel<TOutput>
    {
        ArgumentNullException.ThrowIfNull(create);
        AlbertConfig config = AlbertConfigReader.ReadFile(directory);
        return Load(directory, () => create(config), options);
    }

    /// <summary>
    /// Creates a model compiled for a configuration (the typed models the AlbertGen generator writes) from a HuggingFace
    /// directory: the directory's <c>config.json</c>, if there is one, must describe <paramref name="compiledFor"/>; then the
    /// weights are loaded as by <see cref="FromPretrained{TModel}"/> and the model switched to eval mode.
    /// </summary>
    /// <typeparam name="TModel">The typed model.</typeparam>
    /// <param name="directory">Directory with the weights (and usually <c>config.json</c>).</param>
    /// <param name="compiledFor">The configuration the model was compiled for.</param>
    /// <param name="modelName">The typed model's name, for messages.</param>
    /// <param name="compareLabels">Whether <c>num_labels</c> must agree too (classification heads).</param>
    /// <param name="create">Builds the model.</param>
    /// <param name="options">Loading options.</param>
    /// <returns>The loaded model in eval mode.</returns>
    /// <exception cref="InvalidDataException">The directory's <c>config.json</c> describes another configuration.</exception>
    /// <exception cref="CheckpointException">The weights do not fit (see <see cref="LoadWeights"/>).</exception>
    protected static TModel FromCompiledConfig<TModel>(string directory, AlbertConfig compiledFor, string modelName, bool compareLabels, Func<TModel> create, LoadOptions? options)
        where TModel : AlbertPreTrainedModel<TOutput>
    {
        ArgumentNullException.ThrowIfNull(create);
        TypedModels.CheckCheckpointConfig(directory, compiledFor, modelName, compareLabels);
        return Load(directory, create, options);
    }

    private static TModel Load<TModel>(string directory, Func<TModel> create, LoadOptions? options)
        where TModel : AlbertPreTrainedModel<TOutput>
    {
        // The built-in heads' factories build without random initialisation (the checkpoint overwrites it); what was not
        // loaded gets HuggingFace's initialisation below either way.
        TModel model = create();

        try
        {
            LoadReport report = model.LoadWeights(directory, options);
            var notLoaded = new HashSet<string>(report.MissingKeys.Concat(report.InitializedKeys), StringComparer.Ordinal);
            if (notLoaded.Count > 0)
            {
                model.InitializeSelected(notLoaded.Contains);
            }

            model.eval();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// HuggingFace's initialisation: Linear and Embedding weights normal(0, <c>initializer_range</c>), biases zero, the
    /// padding row of the word embeddings zero, LayerNorm weight 1 and bias 0.
    /// </summary>
    private protected void InitializeWeights() => InitializeSelected(_ => true);

    /// <summary>HuggingFace's initialisation of the parameters whose names <paramref name="include"/> accepts.</summary>
    private void InitializeSelected(Func<string, bool> include)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope(); // in-place initialisers return handles of their own
        double std = Config.InitializerRange;
        foreach ((string name, nn.Module module) in named_modules())
        {
            string prefix = name.Length == 0 ? "" : name + ".";
            bool weight = include(prefix + "weight"), bias = include(prefix + "bias");
            switch (module)
            {
                case AlbertLinear linear:
                    if (weight)
                    {
                        nn.init.normal_(linear.weight, 0, std);
                    }

                    if (bias)
                    {
                        linear.bias.zero_();
                    }

                    break;
                case Embedding embedding when weight:
                    nn.init.normal_(embedding.weight!, 0, std);
                    if (name.EndsWith("word_embeddings", StringComparison.Ordinal))
                    {
                        embedding.weight![Config.PadTokenId].zero_();
                    }

                    break;
                case LayerNorm norm:
                    if (weight)
                    {
                        norm.weight!.fill_(1.0);
                    }

                    if (bias)
                    {
                        norm.bias!.zero_();
                    }

                    break;
            }
        }

        foreach ((string name, Parameter p) in named_parameters())
        {
            if (name == "predictions.bias" && include(name))
            {
                p.zero_();
            }
        }
    }
}
