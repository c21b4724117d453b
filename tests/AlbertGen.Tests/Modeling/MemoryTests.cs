using AlbertGen.Modeling;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Modeling;

/// <summary>Tests that count live tensors process-wide, so they must not run beside other tests.</summary>
[CollectionDefinition(nameof(LiveTensorCount), DisableParallelization = true)]
public sealed class LiveTensorCount;

/// <summary>Repeated forward calls free every intermediate: the live tensor count stays flat.</summary>
[Collection(nameof(LiveTensorCount))]
public sealed class MemoryTests
{
    [Fact]
    public void Two_hundred_forward_calls_leave_no_tensor_behind()
    {
        using Golden g = Golden.Load("tiny-groups", "batch_padded");
        using AlbertForPreTraining model = AlbertForPreTraining.FromPretrained(SharedFolder.Model("tiny-groups"));
        var inputs = new AlbertInputs
        {
            InputIds = g["input_ids"],
            AttentionMask = g["attention_mask"],
            TokenTypeIds = g["token_type_ids"],
            Labels = g["labels.mlm"],
            SentenceOrderLabel = g["labels.sentence_order"],
            OutputHiddenStates = true,
            OutputAttentions = true,
        };
        var plain = new AlbertInputs { InputIds = g["input_ids"], AttentionMask = g["attention_mask"] };

        void Run(int times)
        {
            for (int i = 0; i < times; i++)
            {
                using AlbertForPreTrainingOutput output = model.forward(i % 2 == 0 ? inputs : plain);
            }
        }

        Run(5); // warm-up: lazily created state, if any
        GC.Collect();
        GC.WaitForPendingFinalizers(); // tensors left to the finalizer elsewhere must not disturb the count
        long before = Tensor.TotalCount;
        Run(200);
        long after = Tensor.TotalCount;

        Assert.Equal(before, after);
    }

    [Fact]
    public void Disposing_an_output_releases_its_tensors()
    {
        using AlbertModel model = new(TinyModels.Config());
        model.eval();
        using Tensor ids = tensor(new long[] { 2, 7, 9, 3 }).unsqueeze(0);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long before = Tensor.TotalCount;
        AlbertModelOutput output = model.forward(new AlbertInputs { InputIds = ids, OutputHiddenStates = true, OutputAttentions = true });
        Assert.True(Tensor.TotalCount > before);
        output.Dispose();
        Assert.Equal(before, Tensor.TotalCount);
    }
}
