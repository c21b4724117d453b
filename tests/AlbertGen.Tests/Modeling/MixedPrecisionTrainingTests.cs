using AlbertGen.Modeling;
using AlbertGen.Training;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Modeling;

/// <summary>
/// <see cref="MixedPrecision.TrainingProducts"/>, the scope training loops open: training passes with bfloat16 products give a
/// loss and gradients close to float32 but not equal, keep float32 gradients on float32 weights, leave evaluation exact,
/// and the model keeps no mode (outside the scope it trains in float32 again).
/// </summary>
[Collection(Tests.Training.TorchRandomCollection.Name)]
public sealed class MixedPrecisionTrainingTests
{
    private const string FfnWeight = "albert.encoder.albert_layer_groups.0.albert_layers.0.ffn.weight";
    private const string QueryWeight = "albert.encoder.albert_layer_groups.0.albert_layers.0.attention.query.weight";

    /// <summary>The masked-LM loss and two weights' gradients of one training pass on the tiny fixture's golden batch.</summary>
    private static (float Loss, Tensor FfnGrad, Tensor QueryGrad) TrainingPass(AlbertForMaskedLM model, ScalarType? products = null)
    {
        using Golden g = Golden.Load("tiny", "batch_padded");
        model.train();
        model.zero_grad();
        manual_seed(3); // the same dropout masks for every pass
        MaskedLMOutput output;
        using (MixedPrecision.TrainingProducts(products))
        {
            output = model.forward(new AlbertInputs
            {
                InputIds = g["input_ids"],
                AttentionMask = g.Get("attention_mask"),
                TokenTypeIds = g.Get("token_type_ids"),
                Labels = g["labels.mlm"],
            });
        }

        using (output)
        {
            output.Loss!.backward();
            return (output.Loss.item<float>(), model.get_parameter(FfnWeight)!.grad!.clone(), model.get_parameter(QueryWeight)!.grad!.clone());
        }
    }

    private static double Cosine(Tensor a, Tensor b)
    {
        using Tensor dot = a.flatten().dot(b.flatten());
        return dot.item<float>() / (a.norm().item<float>() * b.norm().item<float>());
    }

    [Fact]
    public void Bfloat16_products_train_close_to_float32_with_float32_gradients()
    {
        using AlbertForMaskedLM model = AlbertForMaskedLM.FromPretrained(SharedFolder.Model("tiny"));

        (float loss, Tensor ffn, Tensor query) = TrainingPass(model);
        (float mixedLoss, Tensor mixedFfn, Tensor mixedQuery) = TrainingPass(model, ScalarType.BFloat16);
        (float againLoss, Tensor againFfn, Tensor againQuery) = TrainingPass(model);
        using (ffn)
        using (query)
        using (mixedFfn)
        using (mixedQuery)
        using (againFfn)
        using (againQuery)
        {
            Assert.Equal(loss, againLoss); // the scope left nothing behind in the model
            Assert.NotEqual(loss, mixedLoss); // the products did run in bfloat16
            Assert.True(Math.Abs(loss - mixedLoss) < 0.02 * Math.Abs(loss), $"loss {loss} vs {mixedLoss}");
            Assert.Equal(ScalarType.Float32, mixedFfn.dtype);
            Assert.True(Cosine(ffn, mixedFfn) > 0.99, $"ffn gradient cosine {Cosine(ffn, mixedFfn)}");
            Assert.True(Cosine(query, mixedQuery) > 0.99, $"query gradient cosine {Cosine(query, mixedQuery)}");
        }
    }

    [Fact]
    public void Evaluation_passes_of_a_mixed_precision_model_stay_exact()
    {
        using Golden g = Golden.Load("tiny", "batch_padded");
        using AlbertForMaskedLM model = AlbertForMaskedLM.FromPretrained(SharedFolder.Model("tiny"));
        model.eval();
        using IDisposable products = MixedPrecision.TrainingProducts(ScalarType.BFloat16);
        using MaskedLMOutput output = model.forward(new AlbertInputs
        {
            InputIds = g["input_ids"],
            AttentionMask = g.Get("attention_mask"),
            TokenTypeIds = g.Get("token_type_ids"),
            HeadMask = g.Get("head_mask"),
        });
        g.Check("AlbertForPreTraining.prediction_logits", output.Logits);
    }

    [Fact]
    public void A_non_floating_product_dtype_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => MixedPrecision.TrainingProducts(ScalarType.Int32));
        Assert.Contains("TrainingMatMulDType", e.Message, StringComparison.Ordinal);
        Assert.Contains("Int32", e.Message, StringComparison.Ordinal);
    }
}
