using AlbertGen.Inference;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Inference;

/// <summary>
/// The version counter sessions rely on: its self-test passes with the libtorch this project ships (if it failed, every
/// session would silently stop deriving weights), and what it reads moves with in-place changes only.
/// </summary>
public sealed class TensorVersionsTests
{
    [Fact]
    public void The_self_test_passes_with_the_shipped_libtorch_on_linux_x64()
    {
        Assert.True(OperatingSystem.IsLinux(), "the project's CI runs on Linux x86-64");
        Assert.True(TensorVersions.IsAvailable);
    }

    [Fact]
    public void In_place_changes_move_the_version_and_out_of_place_ones_do_not()
    {
        using Tensor t = ones(3);
        long before = TensorVersions.Of(t)!.Value;
        using (Tensor sum = t.add(1))
        {
            Assert.Equal(before, TensorVersions.Of(t));
        }

        t.mul_(2);
        Assert.Equal(before + 1, TensorVersions.Of(t));
        using (Tensor view = t.view(3, 1))
        {
            view.add_(1); // through a view: the same counter
        }

        Assert.Equal(before + 2, TensorVersions.Of(t));
    }

    [Fact]
    public void Inference_and_disposed_tensors_have_no_version()
    {
        using (inference_mode())
        {
            using Tensor made = zeros(2);
            Assert.Null(TensorVersions.Of(made));
        }

        Tensor gone = zeros(2);
        gone.Dispose();
        Assert.Null(TensorVersions.Of(gone));
    }
}
