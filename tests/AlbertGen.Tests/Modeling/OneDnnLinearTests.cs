using AlbertGen.Modeling;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Modeling;

/// <summary>
/// <see cref="OneDnnLinear"/> and <see cref="PreparedLinear"/>: the prepacked oneDNN product (and its fused GELU) equals
/// libtorch's linear at every row count, a lower precision is converted before packing, and a model's inference pass,
/// which runs on them, matches the general path.
/// </summary>
[Collection(nameof(LiveTensorCount))]
public sealed class OneDnnLinearTests
{
    private static float MaxAbsDiff(Tensor a, Tensor b)
    {
        using Tensor diff = a.to(ScalarType.Float32).sub(b.to(ScalarType.Float32)).abs().max();
        return diff.item<float>();
    }

    [Theory]
    [InlineData(1, null)]
    [InlineData(16, AlbertActivation.Gelu)]
    [InlineData(300, AlbertActivation.GeluNew)]
    [InlineData(40, AlbertActivation.Relu)] // not fusable: applied after the product
    public void The_prepacked_product_equals_libtorch_linear_with_the_activation_applied(int rows, AlbertActivation? activation)
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        Tensor input = randn(rows, 48), weight = randn(96, 48).mul_(0.2), bias = randn(96);
        Tensor? packed = OneDnnLinear.Pack(weight);
        Assert.NotNull(packed);
        Assert.NotNull(OneDnnLinear.Forward(input, packed!, bias, null)); // the oneDNN call itself works here

        using var prepared = PreparedLinear.Create(weight, bias, ScalarType.Float32);
        Tensor product = prepared.Forward(input, activation);
        Tensor expected = nn.functional.linear(input, weight, bias);
        if (activation is { } a)
        {
            expected = Activations.Apply(a, expected);
        }

        Assert.Equal(expected.shape, product.shape);
        Assert.True(MaxAbsDiff(expected, product) < 1e-5, $"max abs diff {MaxAbsDiff(expected, product)}");
    }

    [Fact]
    public void Lower_precisions_are_converted_then_packed_and_the_parameters_are_left_alone()
    {
        using var scope = NewDisposeScope();
        manual_seed(12);
        Tensor weight = randn(96, 48).mul_(0.2), bias = randn(96), input = randn(20, 48); // outputs of order 1
        Assert.Null(OneDnnLinear.Pack(weight.to(ScalarType.Float16))); // oneDNN's float16 products are not used

        using (var prepared = PreparedLinear.Create(weight, bias, ScalarType.BFloat16))
        {
            Assert.Equal(ScalarType.BFloat16, prepared.DType);
            Tensor product = prepared.Forward(input.to(ScalarType.BFloat16));
            Assert.Equal(ScalarType.BFloat16, product.dtype);
            float error = MaxAbsDiff(nn.functional.linear(input, weight, bias), product);
            Assert.True(error < 0.05, $"max abs diff {error}"); // bfloat16 keeps 8 bits of mantissa
        }

        using (var prepared = PreparedLinear.Create(weight, bias, ScalarType.Float32))
        {
            Assert.Equal(ScalarType.Float32, prepared.DType);
        }

        // Disposing a float32 preparation must not dispose the parameters it was made from.
        Assert.Equal(96, weight.shape[0]);
        Assert.True(MaxAbsDiff(weight, weight) == 0);
    }

    [Theory]
    [InlineData("tiny-groups", 1, 7)] // 32 wide: products not packed
    [InlineData("tiny-groups", 6, 60)]
    [InlineData("anchor", 1, 1)] // 768 wide: packed for oneDNN
    [InlineData("anchor", 1, 7)]
    [InlineData("anchor", 3, 40)]
    public void Inference_passes_match_the_general_path(string name, int batch, int length)
    {
        using AlbertModel model = AlbertModel.FromPretrained(name == "anchor" ? SharedFolder.Anchor : SharedFolder.Model(name));
        using var scope = NewDisposeScope();
        manual_seed(5);
        Tensor ids = randint(5, model.Config.VocabSize, [batch, length], dtype: ScalarType.Int64);
        Tensor mask = ones(batch, length, dtype: ScalarType.Int64);
        if (length > 1)
        {
            mask[0, TensorIndex.Slice(length / 2 + 1)] = tensor(0L);
        }

        var inputs = new AlbertInputs { InputIds = ids, AttentionMask = mask };

        Tensor general;
        using (AlbertModelOutput output = model.forward(inputs)) // gradients on: the general path, libtorch's linear
        {
            general = output.LastHiddenState.detach().clone();
        }

        using var inference = inference_mode();
        using AlbertModelOutput fast = model.forward(inputs);
        Assert.True(MaxAbsDiff(general, fast.LastHiddenState) < 1e-4, $"max abs diff {MaxAbsDiff(general, fast.LastHiddenState)}");
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.BFloat16)]
    public void A_prepared_layer_step_leaves_nothing_but_its_output(ScalarType dtype)
    {
        // A pass runs every layer step inside one dispose scope, so an intermediate a step forgets would stay alive (with
        // its storage) until the whole pass ends: the peak memory of a 12-step pass grew by ~13 MB per step that way.
        using var layer = new AlbertLayer(TinyModels.Config());
        layer.eval();
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        using PreparedLayerWeights weights = layer.PrepareWeights(dtype, pack: true);
        Tensor hidden = randn(2, 9, TinyModels.Config().HiddenSize);
        Tensor mask = zeros(2, 1, 1, 9).to(dtype);

        long before = Tensor.TotalCount;
        using Tensor output = layer.PreparedForward(hidden, mask, weights);
        Assert.Equal(before + 1, Tensor.TotalCount);
        Assert.Equal(hidden.shape, output.shape);
    }
}
