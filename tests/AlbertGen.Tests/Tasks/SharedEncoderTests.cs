using AlbertGen.Inference;
using AlbertGen.Modeling;
using AlbertGen.Tasks;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Tasks;

/// <summary>
/// Sentence embeddings on a head pipeline's encoder (<see cref="SentenceEmbeddingGenerator.OnEncoderOf"/>): the head
/// model's own body and the body part of its inference session (<see cref="InferenceSession{TOutput}.Body"/>), so one
/// checkpoint is one model and one session.
/// </summary>
public sealed class SharedEncoderTests
{
    private static readonly string[] Texts = ["a short one", "a considerably longer sentence that needs a lot more padding around the others", "x"];

    [Fact]
    public void Embeddings_on_a_head_pipelines_encoder_equal_the_encoder_loaded_alone()
    {
        using var expected = SentenceEmbeddingGenerator.FromPretrained(TaskModelDirectory.Head("qa"));
        using var qa = QuestionAnsweringPipeline.FromPretrained(TaskModelDirectory.Head("qa"));
        using SentenceEmbeddingGenerator shared = SentenceEmbeddingGenerator.OnEncoderOf(qa);

        float[][] vectors = shared.Embed(Texts);
        float[][] alone = expected.Embed(Texts);
        for (int i = 0; i < Texts.Length; i++)
        {
            Assert.Equal(alone[i].Length, vectors[i].Length);
            Assert.All(alone[i].Zip(vectors[i]), p => Assert.Equal(p.First, p.Second, 5));
        }
    }

    [Fact]
    public void The_generator_runs_the_head_models_body_on_the_head_pipelines_session_and_compiles_none()
    {
        using var fillMask = FillMaskPipeline.FromPretrained(TaskModelDirectory.Tiny);
        using SentenceEmbeddingGenerator shared = SentenceEmbeddingGenerator.OnEncoderOf(fillMask, new SentenceEmbeddingOptions { Normalize = true });
        shared.Embed(Texts);

        Assert.Same(fillMask.Model.Body, shared.Model);
        Assert.Same(fillMask.Session.Body(), shared.Session);
        Assert.Same(shared.Model, shared.Session.Model);
        Assert.Equal(0, shared.SessionsCompiled);
        Assert.Equal(1, fillMask.SessionsCompiled);
        Assert.Equal(fillMask.MaxLength, shared.MaxLength);
        Assert.All(shared.Embed(Texts), v => Assert.Equal(1.0, Math.Sqrt(v.Sum(x => (double)x * x)), 5));
    }

    [Fact]
    public void When_the_head_models_weights_change_the_generator_follows_the_head_pipelines_new_session()
    {
        using var fillMask = FillMaskPipeline.FromPretrained(TaskModelDirectory.Tiny);
        using SentenceEmbeddingGenerator shared = SentenceEmbeddingGenerator.OnEncoderOf(fillMask);
        float[] before = shared.Embed(Texts[0]);
        InferenceSession<AlbertModelOutput> first = shared.Session;

        using (no_grad())
        {
            fillMask.Model.Body.get_parameter("encoder.albert_layer_groups.0.albert_layers.0.ffn.weight")!.mul_(1.25);
        }

        float[] after = shared.Embed(Texts[0]);
        Assert.NotSame(first, shared.Session);
        Assert.Equal(2, fillMask.SessionsCompiled);
        Assert.Equal(0, shared.SessionsCompiled);
        Assert.Contains(before.Zip(after), p => Math.Abs(p.First - p.Second) > 1e-3);
    }

    [Fact]
    public void A_body_session_owns_nothing_and_stops_when_its_host_is_disposed()
    {
        using var fillMask = FillMaskPipeline.FromPretrained(TaskModelDirectory.Tiny);
        using (SentenceEmbeddingGenerator shared = SentenceEmbeddingGenerator.OnEncoderOf(fillMask))
        {
            shared.Embed(Texts[0]);
        }

        InferenceSession<MaskedLMOutput> host = fillMask.Session;
        InferenceSession<AlbertModelOutput> body = host.Body();
        using Tensor ids = tensor(new long[] { 2, 5, 6, 3 }, [1, 4]);
        var inputs = new AlbertInputs { InputIds = ids };
        body.Dispose();
        using (AlbertModelOutput output = body.Run(inputs))
        {
            Assert.Equal([1L, 4, fillMask.Model.Config.HiddenSize], output.LastHiddenState.shape);
        }

        using (MaskedLMOutput output = host.Run(inputs))
        {
            Assert.Equal([1L, 4, fillMask.Model.Config.VocabSize], output.Logits.shape);
        }

        host.Dispose();
        Assert.Throws<ObjectDisposedException>(() => body.Run(inputs));
    }
}
