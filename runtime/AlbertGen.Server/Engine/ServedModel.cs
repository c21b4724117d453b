using AlbertGen.Modeling;
using AlbertGen.Tasks;
using AlbertGen.Tokenization;

namespace AlbertGen.Server.Engine;

/// <summary>
/// The loaded checkpoint: its tokenizer, the embedding pipeline (every checkpoint has an encoder), the pipeline of its task
/// head, if any, and the forward stage of each, which the batcher runs. Requests preprocess and postprocess with the
/// pipelines on their own threads; only the batcher runs forward passes, so passes never overlap.
/// </summary>
internal sealed class ServedModel : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    private ServedModel(string directory, AlbertConfig config, AlbertServerOptions options)
    {
        Directory = directory;
        Config = config;
        Heads = AlbertConfigReader.HeadsFromArchitectures(config.Architectures);
        var pipelineOptions = new PipelineOptions
        {
            // A batch the batcher forms goes through the model in one forward pass.
            BatchSize = options.MaxBatchRequests ?? options.MaxBatchTokens,
            Truncation = true,
            LoadOptions = options.LoadOptions,
            Inference = options.Inference,
        };
        try
        {
            // Not normalised: each request asks for unit vectors or not, and the postprocess stage scales them.
            Embeddings = Own(SentenceEmbeddingGenerator.FromPretrained(directory, new SentenceEmbeddingOptions { Pooling = options.Pooling }, pipelineOptions));
            EmbedStage = new("embed", Embeddings.Forward);
            Tokenizer = Embeddings.Tokenizer;
            MaxLength = Embeddings.MaxLength;
            if (Has(AlbertHeads.MaskedLM))
            {
                FillMask = Own(FillMaskPipeline.FromPretrained(directory, pipelineOptions));
                FillMaskStage = new("fill-mask", FillMask.Forward);
            }

            if (Has(AlbertHeads.SequenceClassification))
            {
                Classifier = Own(TextClassificationPipeline.FromPretrained(directory, pipelineOptions));
                ClassifyStage = new("classify", Classifier.Forward);
            }

            if (Has(AlbertHeads.TokenClassification))
            {
                TokenClassifier = Own(TokenClassificationPipeline.FromPretrained(directory, pipelineOptions));
                TokenClassificationStage = new("token-classification", TokenClassifier.Forward);
            }

            if (Has(AlbertHeads.QuestionAnswering))
            {
                QuestionAnswering = Own(QuestionAnsweringPipeline.FromPretrained(directory, pipelineOptions));
                QuestionAnsweringStage = new("question-answering", QuestionAnswering.Forward);
            }

            if (Has(AlbertHeads.MultipleChoice))
            {
                MultipleChoice = Own(MultipleChoicePipeline.FromPretrained(directory, pipelineOptions));
                MultipleChoiceStage = new("multiple-choice", MultipleChoice.Forward, equalRows: true);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Loads everything the checkpoint in <paramref name="source"/> can serve, with the limits of <paramref name="options"/>.</summary>
    public static ServedModel Load(ServedModelSource source, AlbertServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(options);
        AlbertConfig config = AlbertConfigReader.ReadFile(source.Directory);
        return new ServedModel(source.Directory, config, options);
    }

    public string Directory { get; }

    public AlbertConfig Config { get; }

    /// <summary>The heads the checkpoint holds, from its <c>architectures</c> (a pre-training checkpoint holds the masked-LM head too).</summary>
    public AlbertHeads Heads { get; }

    /// <summary>The tokenizer of every pipeline (the tokenizer routes use it directly).</summary>
    public AlbertTokenizer Tokenizer { get; }

    /// <summary>Longest input in tokens, special tokens included.</summary>
    public int MaxLength { get; }

    /// <summary>Sentence embeddings, not normalised (see <see cref="SentenceEmbeddingGenerator.Postprocess"/>).</summary>
    public SentenceEmbeddingGenerator Embeddings { get; }

    public ForwardStage<EncodedText, float[]> EmbedStage { get; }

    public FillMaskPipeline? FillMask { get; }

    public ForwardStage<FillMaskInput, float[][]>? FillMaskStage { get; }

    public TextClassificationPipeline<string>? Classifier { get; }

    public ForwardStage<EncodedText, float[]>? ClassifyStage { get; }

    public TokenClassificationPipeline? TokenClassifier { get; }

    public ForwardStage<EncodedText, float[][]>? TokenClassificationStage { get; }

    public QuestionAnsweringPipeline? QuestionAnswering { get; }

    public ForwardStage<QuestionAnsweringInput, IReadOnlyList<SpanLogits>>? QuestionAnsweringStage { get; }

    public MultipleChoicePipeline? MultipleChoice { get; }

    public ForwardStage<MultipleChoiceInput, float[]>? MultipleChoiceStage { get; }

    /// <summary>Length of an embedding: <c>hidden_size</c>.</summary>
    public int Dimensions => Embeddings.Dimensions;

    /// <summary>Tokenizer calls the pipelines' preprocess stages have made (the server tokenises nowhere else).</summary>
    public long TokenizerCalls =>
        Embeddings.TokenizerCalls + (FillMask?.TokenizerCalls ?? 0) + (Classifier?.TokenizerCalls ?? 0) + (TokenClassifier?.TokenizerCalls ?? 0)
        + (QuestionAnswering?.TokenizerCalls ?? 0) + (MultipleChoice?.TokenizerCalls ?? 0);

    /// <summary>Whether the model can serve <paramref name="capability"/>.</summary>
    public bool Supports(ModelCapability capability) =>
        capability == ModelCapability.Embeddings
        || (Has(ModelCapabilities.Head(capability)) && (capability != ModelCapability.Reranking || Config.NumLabels == 1));

    /// <summary>Runs each pipeline once on a short input, so the first request does not pay for first-call costs.</summary>
    public void WarmUp()
    {
        const string text = "warm up";
        Embeddings.Embed(text);
        FillMask?.Predict(AlbertTokenizer.MaskToken);
        Classifier?.Classify(text, topK: null);
        TokenClassifier?.Predict(text);
        QuestionAnswering?.Answer(text, text);
        MultipleChoice?.Choose(text, [text, text]);
    }

    /// <summary>Disposes every model.</summary>
    public void Dispose()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }

        _owned.Clear();
    }

    private bool Has(AlbertHeads head) => head != AlbertHeads.None && (Heads & head) == head;

    private T Own<T>(T pipeline)
        where T : IDisposable
    {
        _owned.Add(pipeline);
        return pipeline;
    }
}
