using AlbertGen.Modeling;
using AlbertGen.Tokenization;
using static TorchSharp.torch;

namespace AlbertGen.Tasks;

/// <summary>One candidate for a masked position (HuggingFace fill-mask's <c>score</c>, <c>token</c>, <c>token_str</c>, <c>sequence</c>).</summary>
/// <param name="Score">Probability of the token at that position: softmax over the whole vocabulary (also when targets restrict the candidates).</param>
/// <param name="Token">The token id.</param>
/// <param name="TokenStr">The token decoded on its own (<c>▁paris</c> → <c>paris</c>).</param>
/// <param name="Sequence">
/// The input with this token in place of the mask, decoded as HuggingFace does: padding dropped; special tokens dropped
/// when the text has one mask, kept (<c>[CLS] … [MASK] … [SEP]</c>) when it has several.
/// </param>
public sealed record FillMaskCandidate(float Score, int Token, string TokenStr, string Sequence);

/// <summary>How a requested target word became a vocabulary token.</summary>
/// <param name="Target">The word as given.</param>
/// <param name="TokenId">The id used.</param>
/// <param name="Token">The token string of <paramref name="TokenId"/>.</param>
/// <param name="Note">
/// Null when the word is a vocabulary token as written; otherwise what was done, as HuggingFace does it: the word was
/// tokenised and its first piece is used (the note says so, and how many pieces there were).
/// </param>
public sealed record FillMaskTarget(string Target, int TokenId, string Token, string? Note);

/// <summary>A text after fill-mask's preprocess stage: its row and where its masks are.</summary>
public sealed class FillMaskInput : PreparedInput
{
    internal FillMaskInput(AlbertEncoding encoding, int[] maskPositions)
        : base([encoding])
    {
        MaskPositions = maskPositions;
    }

    /// <summary>Its only row.</summary>
    public AlbertEncoding Encoding => Rows[0];

    /// <summary>The token index of each mask (<c>[CLS]</c> is index 0).</summary>
    public IReadOnlyList<int> MaskPositions { get; }
}

/// <summary>The candidates of one text.</summary>
/// <param name="Masks">One list per <c>[MASK]</c> in the text, in order; each list best first.</param>
/// <param name="MaskPositions">The token index of each mask in the encoded input (<c>[CLS]</c> is index 0).</param>
/// <param name="Targets">How the requested targets were resolved; empty without targets.</param>
public sealed record FillMaskResult(
    IReadOnlyList<IReadOnlyList<FillMaskCandidate>> Masks,
    IReadOnlyList<int> MaskPositions,
    IReadOnlyList<FillMaskTarget> Targets);

/// <summary>
/// Predicts the tokens behind <c>[MASK]</c> (HuggingFace <c>FillMaskPipeline</c>): softmax over the vocabulary at each mask,
/// top-k candidates, optional target words.
/// </summary>
/// <remarks>Thread-safe; see <see cref="AlbertPipeline{TModel, TOutput}"/>.</remarks>
public sealed class FillMaskPipeline : AlbertPipeline<AlbertForMaskedLM, MaskedLMOutput>
{
    /// <summary>HuggingFace's default number of candidates.</summary>
    public const int DefaultTopK = 5;

    /// <summary>Builds a pipeline on a loaded model and its tokenizer.</summary>
    /// <param name="model">The masked-LM model (or a generated class deriving from it).</param>
    /// <param name="tokenizer">Its tokenizer.</param>
    /// <param name="options">Shared settings; null = defaults.</param>
    /// <param name="ownsModel">Whether disposing the pipeline disposes the model.</param>
    public FillMaskPipeline(AlbertForMaskedLM model, AlbertTokenizer tokenizer, PipelineOptions? options = null, bool ownsModel = false)
        : base(model, tokenizer, options, ownsModel)
    {
    }

    /// <summary>Loads <c>config.json</c>, the weights and the tokenizer (<c>tokenizer.json</c> or <c>spiece.model</c>) from a directory.</summary>
    /// <param name="directory">A HuggingFace model directory with a masked-LM (or pre-training) checkpoint.</param>
    /// <param name="options">Shared settings; null = defaults.</param>
    /// <returns>A pipeline that owns its model.</returns>
    /// <exception cref="FileNotFoundException">A file is missing (the message names it).</exception>
    public static FillMaskPipeline FromPretrained(string directory, PipelineOptions? options = null)
    {
        var (model, tokenizer) = PipelineResources.Load(directory, options, d => AlbertForMaskedLM.FromPretrained(d, options?.LoadOptions));
        return new FillMaskPipeline(model, tokenizer, options, ownsModel: true);
    }

    /// <summary>
    /// Resolves target words as HuggingFace does: a word that is a vocabulary token is used as is; any other word is
    /// tokenised and its first piece used (with a note); a word with no pieces is skipped. Duplicate ids are kept once.
    /// </summary>
    /// <param name="targets">Words or tokens.</param>
    /// <returns>The targets used.</returns>
    /// <exception cref="ArgumentException">No target could be resolved.</exception>
    public IReadOnlyList<FillMaskTarget> ResolveTargets(IEnumerable<string> targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        var resolved = new List<FillMaskTarget>();
        var seen = new HashSet<int>();
        foreach (string target in targets)
        {
            ArgumentNullException.ThrowIfNull(target, nameof(targets));
            int id = Tokenizer.ConvertTokenToId(target);
            FillMaskTarget entry;
            if (id != Tokenizer.UnknownTokenId || target == AlbertTokenizer.UnknownToken)
            {
                entry = new FillMaskTarget(target, id, target, null);
            }
            else
            {
                int[] pieces = Tokenizer.EncodeToIds(target, addSpecialTokens: false);
                if (pieces.Length == 0)
                {
                    continue; // nothing to put in the mask's place
                }

                string token = Tokenizer.ConvertIdToToken(pieces[0]);
                string note = pieces.Length == 1
                    ? $"'{target}' is not a vocabulary token; it tokenises to '{token}', which is used."
                    : $"'{target}' is not a vocabulary token; it tokenises to {pieces.Length} pieces ({string.Join(" ", Tokenizer.ConvertIdsToTokens(pieces))}) and only the first, '{token}', is used.";
                entry = new FillMaskTarget(target, pieces[0], token, note);
            }

            if (seen.Add(entry.TokenId))
            {
                resolved.Add(entry);
            }
        }

        if (resolved.Count == 0)
        {
            throw new ArgumentException("At least one target must be a word with some token; none of the given targets has one.", nameof(targets));
        }

        return resolved;
    }

    /// <summary>Fills the masks of one text.</summary>
    /// <param name="text">Text with at least one <c>[MASK]</c>.</param>
    /// <param name="topK">Candidates per mask (at most the number of targets when targets are given).</param>
    /// <param name="targets">Restrict candidates to these words (see <see cref="ResolveTargets"/>); null = the whole vocabulary.</param>
    /// <param name="cancellationToken">Cancels between batches.</param>
    /// <returns>One candidate list per mask.</returns>
    /// <exception cref="ArgumentException">The text has no <c>[MASK]</c> (or truncation removed them all), or is too long with truncation off.</exception>
    public FillMaskResult Predict(string text, int topK = DefaultTopK, IEnumerable<string>? targets = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        return PredictBatch([text], topK, targets, cancellationToken)[0];
    }

    /// <summary>Fills the masks of several texts, <see cref="PipelineOptions.BatchSize"/> at a time.</summary>
    /// <param name="texts">Texts, each with at least one <c>[MASK]</c>.</param>
    /// <param name="topK">Candidates per mask.</param>
    /// <param name="targets">Restrict candidates to these words; null = the whole vocabulary.</param>
    /// <param name="cancellationToken">Cancels between batches.</param>
    /// <returns>One result per text, in order.</returns>
    /// <exception cref="ArgumentException">A text has no <c>[MASK]</c>; the message gives its index.</exception>
    public IReadOnlyList<FillMaskResult> PredictBatch(IReadOnlyList<string> texts, int topK = DefaultTopK, IEnumerable<string>? targets = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentOutOfRangeException.ThrowIfLessThan(topK, 1);
        IReadOnlyList<FillMaskTarget> resolved = targets is null ? [] : ResolveTargets(targets);
        FillMaskInput[] prepared = PreprocessAll(texts, t => Preprocess(t));
        return Compose(prepared, Forward, (input, probabilities) => Postprocess(input, probabilities, topK, resolved), cancellationToken);
    }

    /// <summary>Preprocess stage: encodes a text as one row and finds its masks.</summary>
    /// <param name="text">Text with at least one <c>[MASK]</c>.</param>
    /// <param name="truncate">Whether a text longer than <see cref="AlbertPipeline{TModel, TOutput}.MaxLength"/> is cut; null = <see cref="PipelineOptions.Truncation"/>.</param>
    /// <returns>The encoded text with its mask positions.</returns>
    /// <exception cref="ArgumentException">The text has no <c>[MASK]</c> (or truncation removed them all).</exception>
    /// <exception cref="InputTooLongException">The text is too long and truncation is off.</exception>
    public FillMaskInput Preprocess(string text, bool? truncate = null)
    {
        AlbertEncoding encoding = EncodeRow(text, null, truncate);
        int[] positions = [.. Enumerable.Range(0, encoding.Length).Where(i => encoding.InputIds[i] == Tokenizer.MaskTokenId && encoding.AttentionMask[i] != 0)];
        if (positions.Length == 0)
        {
            bool cut = (truncate ?? Options.Truncation) && text.Contains(AlbertTokenizer.MaskToken, StringComparison.Ordinal);
            throw new ArgumentException($"The text has no {AlbertTokenizer.MaskToken} token{(cut ? " in its first " + MaxLength + " tokens (it is truncated)" : "")}; fill-mask needs at least one.", nameof(text));
        }

        return new FillMaskInput(encoding, positions);
    }

    /// <summary>Forward stage: one pass; for each input, the probabilities over the vocabulary at each of its masks.</summary>
    /// <param name="inputs">Preprocessed texts.</param>
    /// <returns>Per input, one array of <c>vocab_size</c> probabilities per mask.</returns>
    public IReadOnlyList<float[][]> Forward(IReadOnlyList<FillMaskInput> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        int vocabulary = Model.Config.VocabSize;
        return Run(RowsOf(inputs), (output, _) =>
        {
            var rows = new float[inputs.Count][][];
            for (int r = 0; r < inputs.Count; r++)
            {
                IReadOnlyList<int> positions = inputs[r].MaskPositions;
                using Tensor index = tensor(positions.Select(p => (long)p).ToArray(), device: output.Logits.device);
                float[] flat = ToArray(output.Logits[r].index_select(0, index).to(ScalarType.Float32).softmax(-1)); // [masks, V]
                rows[r] = [.. Enumerable.Range(0, positions.Count).Select(m => flat.AsSpan(m * vocabulary, vocabulary).ToArray())];
            }

            return rows;
        });
    }

    /// <summary>Postprocess stage: the top-k candidates at each mask of one input.</summary>
    /// <param name="input">The preprocessed text.</param>
    /// <param name="probabilities">Its output from <see cref="Forward"/>.</param>
    /// <param name="topK">Candidates per mask (at most the number of targets when targets are given).</param>
    /// <param name="targets">Candidates allowed, from <see cref="ResolveTargets"/>; null or empty = the whole vocabulary.</param>
    /// <returns>One candidate list per mask.</returns>
    public FillMaskResult Postprocess(FillMaskInput input, float[][] probabilities, int topK = DefaultTopK, IReadOnlyList<FillMaskTarget>? targets = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(probabilities);
        ArgumentOutOfRangeException.ThrowIfLessThan(topK, 1);
        targets ??= [];
        int[]? targetIds = targets.Count == 0 ? null : [.. targets.Select(t => t.TokenId)];
        int k = targetIds is null ? topK : Math.Min(topK, targetIds.Length);
        float[][] scores = targetIds is null ? probabilities : [.. probabilities.Select(p => targetIds.Select(id => p[id]).ToArray())];
        return Candidates(input.Encoding, [.. input.MaskPositions], scores, targetIds, k, targets);
    }

    private FillMaskResult Candidates(AlbertEncoding encoding, int[] positions, float[][] probabilities, int[]? targetIds, int k, IReadOnlyList<FillMaskTarget> targets)
    {
        bool singleMask = positions.Length == 1;
        var masks = new IReadOnlyList<FillMaskCandidate>[positions.Length];
        for (int m = 0; m < positions.Length; m++)
        {
            var list = new List<FillMaskCandidate>(k);
            foreach (int best in ScoreMath.TopK(probabilities[m], k))
            {
                int id = targetIds is null ? best : targetIds[best];
                int[] filled = [.. encoding.InputIds];
                filled[positions[m]] = id;
                string sequence = Tokenizer.Decode(filled.Where(t => t != Tokenizer.PadTokenId), skipSpecialTokens: singleMask);
                list.Add(new FillMaskCandidate(probabilities[m][best], id, Tokenizer.Decode([id]), sequence));
            }

            masks[m] = list;
        }

        return new FillMaskResult(masks, positions, targets);
    }
}
