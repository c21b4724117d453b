using AlbertGen.Modeling;
using AlbertGen.Tasks;
using AlbertGen.Tokenization;

namespace AlbertGen.Server.Engine;

/// <summary>
/// The loaded checkpoint: its tokenizer, the embedding pipeline (every checkpoint has an encoder) and the pipeline of its
/// task head, if any. The head and the encoder are separate model instances; the server's batcher is the only caller of
/// either, so their forward passes never overlap.
/// </summary>
public sealed class ServedModel : IDisposable
{
    private readonly SentenceEmbeddingGenerator _raw;
    private readonly SentenceEmbeddingGenerator _normalized;
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
            _raw = SentenceEmbeddingGenerator.FromPretrained(directory, new SentenceEmbeddingOptions { Pooling = options.Pooling }, pipelineOptions);
            _owned.Add(_raw);
            _normalized = new SentenceEmbeddingGenerator(_raw.Model, _raw.Tokenizer, _raw.EmbeddingOptions with { Normalize = true }, pipelineOptions);
            Tokenizer = _raw.Tokenizer;
            MaxLength = _raw.MaxLength;
            if ((Heads & (AlbertHeads.MaskedLM | AlbertHeads.PreTraining)) != 0)
            {
                FillMask = Own(FillMaskPipeline.FromPretrained(directory, pipelineOptions));
            }

            if ((Heads & AlbertHeads.SequenceClassification) != 0)
            {
                Classifier = Own(TextClassificationPipeline.FromPretrained(directory, pipelineOptions));
            }

            if ((Heads & AlbertHeads.TokenClassification) != 0)
            {
                TokenClassifier = Own(TokenClassificationPipeline.FromPretrained(directory, pipelineOptions));
            }

            if ((Heads & AlbertHeads.QuestionAnswering) != 0)
            {
                QuestionAnswering = Own(QuestionAnsweringPipeline.FromPretrained(directory, pipelineOptions));
            }

            if ((Heads & AlbertHeads.MultipleChoice) != 0)
            {
                MultipleChoice = Own(MultipleChoicePipeline.FromPretrained(directory, pipelineOptions));
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Loads everything the checkpoint in <paramref name="options"/> can serve.</summary>
    /// <param name="options">The server options (model directory, load options, batch limits).</param>
    /// <returns>The model, ready to run.</returns>
    public static ServedModel Load(AlbertServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        AlbertConfig config = AlbertConfigReader.ReadFile(options.ModelDirectory);
        return new ServedModel(options.ModelDirectory, config, options);
    }

    /// <summary>The model directory.</summary>
    public string Directory { get; }

    /// <summary>The configuration.</summary>
    public AlbertConfig Config { get; }

    /// <summary>The heads the checkpoint holds, from its <c>architectures</c>.</summary>
    public AlbertHeads Heads { get; }

    /// <summary>The tokenizer (shared by all pipelines' inputs: requests are tokenised with it on arrival).</summary>
    public AlbertTokenizer Tokenizer { get; }

    /// <summary>Longest input in tokens, special tokens included.</summary>
    public int MaxLength { get; }

    /// <summary>Fill-mask, when the checkpoint has a masked-LM head.</summary>
    public FillMaskPipeline? FillMask { get; }

    /// <summary>Sequence classification, when the checkpoint has that head.</summary>
    public TextClassificationPipeline<string>? Classifier { get; }

    /// <summary>Token classification, when the checkpoint has that head.</summary>
    public TokenClassificationPipeline? TokenClassifier { get; }

    /// <summary>Question answering, when the checkpoint has that head.</summary>
    public QuestionAnsweringPipeline? QuestionAnswering { get; }

    /// <summary>Multiple choice, when the checkpoint has that head.</summary>
    public MultipleChoicePipeline? MultipleChoice { get; }

    /// <summary>Length of an embedding: <c>hidden_size</c>.</summary>
    public int Dimensions => _raw.Dimensions;

    /// <summary>The embedding pipeline, with or without unit-length vectors.</summary>
    /// <param name="normalize">Whether vectors are scaled to unit L2 norm.</param>
    /// <returns>The pipeline.</returns>
    public SentenceEmbeddingGenerator Embeddings(bool normalize) => normalize ? _normalized : _raw;

    /// <summary>Whether the model can serve <paramref name="capability"/>.</summary>
    /// <param name="capability">The capability.</param>
    /// <returns>True when it can.</returns>
    public bool Supports(ModelCapability capability) => capability switch
    {
        ModelCapability.Embeddings => true,
        ModelCapability.FillMask => FillMask is not null,
        ModelCapability.Classification => Classifier is not null,
        ModelCapability.Reranking => Classifier is not null && Config.NumLabels == 1,
        ModelCapability.TokenClassification => TokenClassifier is not null,
        ModelCapability.QuestionAnswering => QuestionAnswering is not null,
        ModelCapability.MultipleChoice => MultipleChoice is not null,
        _ => false,
    };

    /// <summary>Runs each pipeline once on a short input, so the first request does not pay for first-call costs.</summary>
    public void WarmUp()
    {
        const string text = "warm up";
        _raw.Embed(text);
        _normalized.Embed(text);
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

    private T Own<T>(T pipeline)
        where T : IDisposable
    {
        _owned.Add(pipeline);
        return pipeline;
    }
}
