using AlbertGen.Checkpoints;
using AlbertGen.Inference;
using AlbertGen.Modeling;
using static TorchSharp.torch;

namespace AlbertGen.Benchmarks;

/// <summary>How far bfloat16 inference is from float32: masked-LM top-1 agreement and largest hidden-state difference.</summary>
internal static class Bf16Accuracy
{
    /// <summary>Agreement of one model/input set.</summary>
    /// <param name="Variant">Which bfloat16 variant (whole model, or matrix products only).</param>
    /// <param name="Model">Which model.</param>
    /// <param name="Inputs">Which inputs.</param>
    /// <param name="Positions">Compared (unmasked) positions.</param>
    /// <param name="Agreeing">Positions where the bf16 arg-max equals the fp32 arg-max.</param>
    /// <param name="MaxHiddenDiff">Largest |bf16 − fp32| of the last hidden state over unmasked positions.</param>
    public sealed record Agreement(string Variant, string Model, string Inputs, long Positions, long Agreeing, double MaxHiddenDiff)
    {
        /// <summary>Fraction of positions that agree.</summary>
        public double Rate => Positions == 0 ? double.NaN : (double)Agreeing / Positions;
    }

    private static readonly string[] GoldenCases = ["batch_padded", "no_mask", "single_token"];

    /// <summary>The two bfloat16 variants: the whole model converted, and bfloat16 matrix products in a float32 model.</summary>
    public static readonly (string Name, LoadOptions Options, InferenceOptions? Inference)[] Variants =
    [
        ("whole model bf16 (DType)", new LoadOptions { DType = ScalarType.BFloat16 }, null),
        ("bf16 matmuls (MatMulDType)", new LoadOptions(), new InferenceOptions { MatMulDType = ScalarType.BFloat16 }),
    ];

    /// <summary>Masked-LM agreement on a fixture model's golden inputs.</summary>
    public static IEnumerable<Agreement> Fixture(string name, (string Name, LoadOptions Options, InferenceOptions? Inference) variant)
    {
        string directory = Paths.FixtureModel(name);
        using AlbertForMaskedLM fp32 = AlbertForMaskedLM.FromPretrained(directory);
        using AlbertForMaskedLM bf16 = AlbertForMaskedLM.FromPretrained(directory, variant.Options);
        foreach (string caseName in GoldenCases)
        {
            using var scope = NewDisposeScope();
            using SafetensorsFile file = SafetensorsFile.Open(Path.Combine(directory, "golden", caseName + ".safetensors"));
            Tensor ids = file.ReadTensor("input_ids");
            Tensor? mask = file.Tensors.ContainsKey("attention_mask") ? file.ReadTensor("attention_mask") : null;
            Tensor? types = file.Tensors.ContainsKey("token_type_ids") ? file.ReadTensor("token_type_ids") : null;
            yield return Compare(fp32, bf16, variant.Inference, variant.Name, name, caseName, new AlbertInputs { InputIds = ids, AttentionMask = mask, TokenTypeIds = types, OutputHiddenStates = true });
        }
    }

    /// <summary>Masked-LM agreement on the anchor with random ids.</summary>
    public static Agreement Anchor(BatchInputs batch, (string Name, LoadOptions Options, InferenceOptions? Inference) variant)
    {
        using AlbertForMaskedLM fp32 = AlbertForMaskedLM.FromPretrained(Paths.Anchor);
        using AlbertForMaskedLM bf16 = AlbertForMaskedLM.FromPretrained(Paths.Anchor, variant.Options);
        using var scope = NewDisposeScope();
        long[] shape = [batch.Batch, batch.Sequence];
        var inputs = new AlbertInputs
        {
            InputIds = tensor(batch.InputIds, shape),
            AttentionMask = tensor(batch.AttentionMask, shape),
            TokenTypeIds = tensor(batch.TokenTypeIds, shape),
            OutputHiddenStates = true,
        };
        return Compare(fp32, bf16, variant.Inference, variant.Name, "anchor", $"random {batch.Label}", inputs);
    }

    private static Agreement Compare(AlbertForMaskedLM fp32, AlbertForMaskedLM bf16, InferenceOptions? bf16Options, string variant, string model, string inputsName, AlbertInputs inputs)
    {
        using var inference = inference_mode();
        using var scope = NewDisposeScope();
        using InferenceSession<MaskedLMOutput> fp32Session = fp32.CompileForInference();
        using InferenceSession<MaskedLMOutput> bf16Session = bf16.CompileForInference(bf16Options);
        using MaskedLMOutput a = fp32Session.Run(inputs);
        using MaskedLMOutput b = bf16Session.Run(inputs);
        Tensor valid = inputs.AttentionMask is { } m
            ? m.to(ScalarType.Bool)
            : ones(inputs.InputIds!.shape, ScalarType.Bool);
        Tensor agree = a.Logits.argmax(-1).eq(b.Logits.to(ScalarType.Float32).argmax(-1)).logical_and(valid);
        Tensor hiddenDiff = a.HiddenStates![^1].sub(b.HiddenStates![^1].to(ScalarType.Float32)).abs().amax(-1).masked_select(valid);
        return new Agreement(variant, model, inputsName, valid.sum().item<long>(), agree.sum().item<long>(),
            hiddenDiff.numel() == 0 ? 0 : hiddenDiff.max().item<float>());
    }
}
