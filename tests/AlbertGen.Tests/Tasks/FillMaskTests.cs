using AlbertGen.Modeling;
using AlbertGen.Tasks;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Tasks;

/// <summary>Fill-mask: HuggingFace's candidates from the MLM logits at each mask.</summary>
public sealed class FillMaskTests : IDisposable
{
    private readonly FillMaskPipeline _pipeline = FillMaskPipeline.FromPretrained(TaskModelDirectory.Tiny);

    public void Dispose() => _pipeline.Dispose();

    [Fact]
    public void Candidates_are_the_top_k_of_the_softmax_of_the_raw_logits_at_the_mask()
    {
        const string text = "the quick brown [MASK] jumps over the lazy dog.";
        FillMaskResult result = _pipeline.Predict(text, topK: 7);

        float[] expected = RawProbabilities(text, result.MaskPositions[0]);
        IReadOnlyList<FillMaskCandidate> candidates = Assert.Single(result.Masks);
        Assert.Equal(7, candidates.Count);
        int[] bestIds = [.. expected.Select((p, id) => (p, id)).OrderByDescending(x => x.p).Take(7).Select(x => x.id)];
        Assert.Equal(bestIds, candidates.Select(c => c.Token));
        foreach (FillMaskCandidate c in candidates)
        {
            Assert.Equal(expected[c.Token], c.Score, 5);
        }

        Assert.True(candidates.Zip(candidates.Skip(1)).All(p => p.First.Score >= p.Second.Score));
        Assert.Equal(1.0, expected.Sum(p => (double)p), 4);
    }

    [Fact]
    public void A_single_mask_sequence_is_the_text_with_the_token_decoded_without_special_tokens()
    {
        FillMaskResult result = _pipeline.Predict("hello [MASK] world");
        FillMaskCandidate best = result.Masks[0][0];
        int[] ids = [.. _pipeline.Tokenizer.EncodeToIds("hello [MASK] world")];
        ids[result.MaskPositions[0]] = best.Token;
        Assert.Equal(_pipeline.Tokenizer.Decode(ids, skipSpecialTokens: true), best.Sequence);
        Assert.Equal(_pipeline.Tokenizer.Decode([best.Token]), best.TokenStr);
        Assert.DoesNotContain("[CLS]", best.Sequence);
    }

    [Fact]
    public void Several_masks_give_one_list_each_and_sequences_keep_the_special_tokens()
    {
        FillMaskResult result = _pipeline.Predict("[MASK] said the [MASK] man", topK: 3);
        Assert.Equal(2, result.Masks.Count);
        Assert.All(result.Masks, m => Assert.Equal(3, m.Count));
        Assert.StartsWith("[CLS]", result.Masks[0][0].Sequence);
        Assert.Contains("[MASK]", result.Masks[0][0].Sequence); // the other mask is still there
        Assert.Equal(RawProbabilities("[MASK] said the [MASK] man", result.MaskPositions[1])[result.Masks[1][0].Token], result.Masks[1][0].Score, 5);
    }

    [Fact]
    public void Targets_restrict_candidates_and_keep_their_full_vocabulary_probability()
    {
        const string text = "the [MASK] is in the sky";
        string[] targets = ["▁and", "▁the", "▁was"];
        FillMaskResult result = _pipeline.Predict(text, topK: 10, targets: targets);
        float[] expected = RawProbabilities(text, result.MaskPositions[0]);

        IReadOnlyList<FillMaskCandidate> candidates = result.Masks[0];
        Assert.Equal(3, candidates.Count); // top_k shrinks to the number of targets
        Assert.Equal(targets.Select(_pipeline.Tokenizer.ConvertTokenToId).Order(), candidates.Select(c => c.Token).Order());
        Assert.All(candidates, c => Assert.Equal(expected[c.Token], c.Score, 5));
        Assert.All(result.Targets, t => Assert.Null(t.Note));
    }

    [Fact]
    public void A_target_that_is_not_a_token_uses_its_first_piece_and_says_so()
    {
        FillMaskTarget target = Assert.Single(_pipeline.ResolveTargets(["strawberry"]));
        int[] pieces = _pipeline.Tokenizer.EncodeToIds("strawberry", addSpecialTokens: false);
        Assert.True(pieces.Length > 1);
        Assert.Equal(pieces[0], target.TokenId);
        Assert.Contains("only the first", target.Note);
    }

    [Fact]
    public void Duplicate_targets_are_kept_once()
    {
        Assert.Single(_pipeline.ResolveTargets(["▁the", "▁the", "the"]));
    }

    [Fact]
    public void A_text_without_a_mask_is_refused_with_its_index()
    {
        var e = Assert.Throws<ArgumentException>(() => _pipeline.PredictBatch(["a [MASK]", "no mask here"]));
        Assert.Contains("Input 1", e.Message);
    }

    [Fact]
    public void A_batch_gives_the_same_candidates_as_one_text_at_a_time()
    {
        string[] texts = ["a [MASK].", "a much longer text where the [MASK] sits further along the line"];
        IReadOnlyList<FillMaskResult> batch = _pipeline.PredictBatch(texts);
        for (int i = 0; i < texts.Length; i++)
        {
            FillMaskResult single = _pipeline.Predict(texts[i]);
            Assert.Equal(single.Masks[0].Select(c => c.Token), batch[i].Masks[0].Select(c => c.Token));
            Assert.All(single.Masks[0].Zip(batch[i].Masks[0]), p => Assert.Equal(p.First.Score, p.Second.Score, 5));
        }
    }

    private float[] RawProbabilities(string text, int position)
    {
        using var scope = NewDisposeScope();
        using var mode = inference_mode();
        using var inputs = _pipeline.Tokenizer.Encode(text).ToTensors();
        using MaskedLMOutput output = _pipeline.Model.forward(new AlbertInputs { InputIds = inputs.InputIds, TokenTypeIds = inputs.TokenTypeIds, AttentionMask = inputs.AttentionMask });
        return output.Logits[0, position].softmax(-1).data<float>().ToArray();
    }
}
