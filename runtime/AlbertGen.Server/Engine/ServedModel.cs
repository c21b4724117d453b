using AlbertGen.Checkpoints;
using AlbertGen.Modeling;
using AlbertGen.Tasks;
using AlbertGen.Tokenization;

namespace AlbertGen.Server.Engine;

/// <summary>
/// The loaded checkpoint: its tokenizer, one model (the head model of its task head, or the bare encoder) compiled into one
/// inference session, the pipeline of the head and the embedding pipeline on the head model's encoder (the same weights,
/// the body part of the same session), and the forward stage of each, which the batcher runs. Requests preprocess and
/// postprocess with the pipelines on their own threads; only the batcher runs forward passes, so passes never overlap.
/// </summary>
internal sealed class ServedModel : IDisposable
{
    private readonly List<IDisposable> _owned = [];

    private ServedModel(string directory, AlbertConfig config, AlbertServerOptions options)
    {
        Directory = directory;
        Config = config;
        Heads = ServedHead(config.Architectures);
        var pipelineOptions = new PipelineOptions
        {
            // A batch the batcher forms goes through the model in one forward pass.
            BatchSize = options.MaxBatchRequests ?? options.MaxBatchTokens,
            Truncation = true,
            LoadOptions = options.LoadOptions,
            Inference = options.Inference,
        };
        // The tokenizer first, so a checkpoint without one fails before its weights are read.
        Tokenizer = PipelineResources.LoadTokenizer(directory, config);
        try
        {
            // One pipeline loads the checkpoint and compiles the session; the embeddings run its encoder. Not normalised:
            // each request asks for unit vectors or not, and the postprocess stage scales them.
            var embeddingOptions = new SentenceEmbeddingOptions { Pooling = options.Pooling };
            if (Has(AlbertHeads.MaskedLM))
            {
                FillMask = Own(new FillMaskPipeline(Load(AlbertForMaskedLM.FromPretrained), Tokenizer, pipelineOptions));
                FillMaskStage = new("fill-mask", FillMask.Forward);
                Embeddings = Own(SentenceEmbeddingGenerator.OnEncoderOf(FillMask, embeddingOptions));
            }
            else if (Has(AlbertHeads.SequenceClassification))
            {
                AlbertForSequenceClassification model = Load(AlbertForSequenceClassification.FromPretrained);
                Classifier = Own(new TextClassificationPipeline<string>(model, Tokenizer, LabelMapping.Names(model.Config), pipelineOptions));
                ClassifyStage = new("classify", Classifier.Forward);
                Embeddings = Own(SentenceEmbeddingGenerator.OnEncoderOf(Classifier, embeddingOptions));
            }
            else if (Has(AlbertHeads.TokenClassification))
            {
                TokenClassifier = Own(new TokenClassificationPipeline(Load(AlbertForTokenClassification.FromPretrained), Tokenizer, pipelineOptions));
                TokenClassificationStage = new("token-classification", TokenClassifier.Forward);
                Embeddings = Own(SentenceEmbeddingGenerator.OnEncoderOf(TokenClassifier, embeddingOptions));
            }
            else if (Has(AlbertHeads.QuestionAnswering))
            {
                QuestionAnswering = Own(new QuestionAnsweringPipeline(Load(AlbertForQuestionAnswering.FromPretrained), Tokenizer, pipelineOptions));
                QuestionAnsweringStage = new("question-answering", QuestionAnswering.Forward);
                Embeddings = Own(SentenceEmbeddingGenerator.OnEncoderOf(QuestionAnswering, embeddingOptions));
            }
            else if (Has(AlbertHeads.MultipleChoice))
            {
                MultipleChoice = Own(new MultipleChoicePipeline(Load(AlbertForMultipleChoice.FromPretrained), Tokenizer, pipelineOptions));
                MultipleChoiceStage = new("multiple-choice", MultipleChoice.Forward, equalRows: true);
                Embeddings = Own(SentenceEmbeddingGenerator.OnEncoderOf(MultipleChoice, embeddingOptions));
            }
            else
            {
                // No head: the encoder alone, without the pooler the embeddings do not use.
                AlbertModel model = Load((d, o) => AlbertPreTrainedModel<AlbertModelOutput>.FromPretrained(d, c => new AlbertModel(c, addPoolingLayer: false), o));
                Embeddings = Own(new SentenceEmbeddingGenerator(model, Tokenizer, embeddingOptions, pipelineOptions));
            }

            EmbedStage = new("embed", Embeddings.Forward);
            MaxLength = Embeddings.MaxLength;
        }
        catch
        {
            Dispose();
            throw;
        }

        // Loads the checkpoint's weights into the model class of the served head, once; disposed after every pipeline on it.
        TModel Load<TModel>(Func<string, LoadOptions?, TModel> fromPretrained)
            where TModel : IDisposable => Own(fromPretrained(directory, options.LoadOptions));
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

    /// <summary>
    /// The heads served, from the first ALBERT head class in the checkpoint's <c>architectures</c> (a pre-training
    /// checkpoint serves its masked-LM head); <see cref="AlbertHeads.None"/> for an encoder.
    /// </summary>
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

    /// <summary>Inference sessions the pipelines have compiled (one per loaded model, and one more each time its weights changed).</summary>
    public int SessionsCompiled =>
        Embeddings.SessionsCompiled + (FillMask?.SessionsCompiled ?? 0) + (Classifier?.SessionsCompiled ?? 0) + (TokenClassifier?.SessionsCompiled ?? 0)
        + (QuestionAnswering?.SessionsCompiled ?? 0) + (MultipleChoice?.SessionsCompiled ?? 0);

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

    /// <summary>Disposes the pipelines, then the model.</summary>
    public void Dispose()
    {
        for (int i = _owned.Count - 1; i >= 0; i--)
        {
            _owned[i].Dispose();
        }

        _owned.Clear();
    }

    private bool Has(AlbertHeads head) => head != AlbertHeads.None && (Heads & head) == head;

    /// <summary>
    /// What the first ALBERT head class in <paramref name="architectures"/> provides, as HuggingFace's auto classes take
    /// the first architecture: a checkpoint holds the weights of one head model, and the server loads that one model.
    /// </summary>
    private static AlbertHeads ServedHead(IReadOnlyList<string> architectures) =>
        architectures.Select(name => AlbertHeadRegistry.FromHuggingFaceName(name)?.Provides ?? AlbertHeads.None).FirstOrDefault(heads => heads != AlbertHeads.None);

    private T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }
}
