using AlbertGen.Modeling;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Modeling;

/// <summary>Bad inputs fail before any computation with an <see cref="ArgumentException"/> naming the input and the values.</summary>
public sealed class InputValidationTests : IDisposable
{
    private readonly AlbertModel _model = new(TinyModels.Config()); // vocab 50, 2 token types, 16 positions, 3 heads, 2 layers

    public void Dispose() => _model.Dispose();

    private T Fails<T>(AlbertInputs inputs, string parameter, string fragment)
        where T : AlbertInputException
    {
        var ex = Assert.Throws<T>(() => _model.forward(inputs).Dispose());
        Assert.Equal(parameter, ex.ParamName);
        Assert.Contains(fragment, ex.Message, StringComparison.Ordinal);
        return ex;
    }

    [Fact]
    public void Id_at_or_above_the_vocabulary_is_rejected()
    {
        using Tensor ids = tensor(new long[] { 2, 50, 3 }).unsqueeze(0);
        Fails<InputIdOutOfRangeException>(new() { InputIds = ids }, "InputIds", "contains 50, outside [0, 50) (vocab_size = 50)");
    }

    [Fact]
    public void Negative_id_is_rejected()
    {
        using Tensor ids = tensor(new long[] { 2, -1, 3 }).unsqueeze(0);
        Fails<InputIdOutOfRangeException>(new() { InputIds = ids }, "InputIds", "contains -1");
    }

    [Fact]
    public void Token_type_at_or_above_type_vocab_size_is_rejected()
    {
        using Tensor ids = tensor(new long[] { 2, 4, 3 }).unsqueeze(0);
        using Tensor types = tensor(new long[] { 0, 2, 1 }).unsqueeze(0);
        Fails<InputIdOutOfRangeException>(new() { InputIds = ids, TokenTypeIds = types }, "TokenTypeIds", "type_vocab_size = 2");
    }

    [Fact]
    public void Sequence_longer_than_max_position_embeddings_is_rejected()
    {
        using Tensor ids = ones(1, 17, dtype: ScalarType.Int64);
        Fails<SequenceTooLongException>(new() { InputIds = ids }, "InputIds", "17 tokens, more than max_position_embeddings = 16");
    }

    [Fact]
    public void Attention_mask_of_another_shape_is_rejected()
    {
        using Tensor ids = ones(2, 5, dtype: ScalarType.Int64);
        using Tensor mask = ones(2, 4, dtype: ScalarType.Int64);
        Fails<InputShapeException>(new() { InputIds = ids, AttentionMask = mask }, "AttentionMask", "shape [2, 4]; expected [2, 5]");
    }

    [Fact]
    public void Head_mask_of_the_wrong_shape_is_rejected()
    {
        using Tensor ids = ones(1, 5, dtype: ScalarType.Int64);
        using Tensor headMask = ones(2, 4);
        Fails<InputShapeException>(new() { InputIds = ids, HeadMask = headMask }, "HeadMask", "expected [3] or [2, 3]");
    }

    [Fact]
    public void Ids_and_embeddings_together_or_neither_are_rejected()
    {
        using Tensor ids = ones(1, 5, dtype: ScalarType.Int64);
        using Tensor embeds = zeros(1, 5, 8);
        Fails<AlbertInputException>(new() { InputIds = ids, InputsEmbeds = embeds }, "InputIds", "Both InputIds and InputsEmbeds");
        Fails<AlbertInputException>(new(), "InputIds", "Neither InputIds nor InputsEmbeds");
    }

    [Fact]
    public void Float_ids_are_rejected()
    {
        using Tensor ids = ones(1, 5);
        Fails<AlbertInputException>(new() { InputIds = ids }, "InputIds", "expected an integer type");
    }

    [Fact]
    public void One_dimensional_ids_are_rejected()
    {
        using Tensor ids = ones(5, dtype: ScalarType.Int64);
        Fails<InputShapeException>(new() { InputIds = ids }, "InputIds", "expected [batch, sequence]");
    }

    [Fact]
    public void A_one_dimensional_head_mask_applies_to_every_layer()
    {
        using Tensor ids = tensor(new long[] { 2, 5, 8, 3 }).unsqueeze(0);
        using Tensor perHead = tensor(new float[] { 1, 0, 1 });
        using Tensor perLayer = perHead.unsqueeze(0).expand(2, 3).contiguous();
        _model.eval();
        using AlbertModelOutput a = _model.forward(new AlbertInputs { InputIds = ids, HeadMask = perHead, OutputAttentions = true });
        using AlbertModelOutput b = _model.forward(new AlbertInputs { InputIds = ids, HeadMask = perLayer });
        TensorAssert.Close(a.LastHiddenState, b.LastHiddenState, "head mask broadcast", atol: 0, rtol: 0);
        Assert.Equal(0f, a.Attentions![1][0, 1].abs().max().item<float>());
    }
}
