using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>
/// Runs the encoder's layer steps instead of <see cref="AlbertTransformer.forward"/>: the one seam through which an
/// execution engine (an <c>AlbertGen.Inference.InferenceSession</c>) puts its compiled layers into a model's forward pass,
/// so embeddings, masks and task heads are computed by the model's own code on both paths.
/// </summary>
/// <remarks>
/// Passed explicitly to <see cref="AlbertPreTrainedModel{TOutput}.Forward"/>; the model keeps no reference to it. Passes that
/// ask for attention maps or a head mask always run the encoder's own forward.
/// </remarks>
internal interface IEncoderExecution
{
    /// <summary>Runs every layer step of <paramref name="encoder"/>.</summary>
    /// <param name="encoder">The model's encoder (its input mapping and step order are used).</param>
    /// <param name="embeddings">Embeddings <c>[B, S, E]</c>.</param>
    /// <param name="mask">Additive attention mask <c>[B, 1, 1, S]</c> in the model's dtype, or null.</param>
    /// <param name="hiddenStates">Receives the hidden states, or null when not wanted.</param>
    /// <returns>The last hidden state <c>[B, S, H]</c>.</returns>
    Tensor Run(AlbertTransformer encoder, Tensor embeddings, Tensor? mask, List<Tensor>? hiddenStates);

    /// <summary>
    /// Runs the whole body from token ids (embeddings, encoder and pooler) when this execution can do it in one pass of its
    /// own, which saves the embeddings' and the pooler's libtorch calls; null when it cannot (the model then runs its own
    /// embeddings and <see cref="Run"/>). Called with validated inputs that have <see cref="AlbertInputs.InputIds"/>, and
    /// neither a head mask nor attention maps.
    /// </summary>
    /// <param name="embeddings">The model's embeddings (their weights are read at the call).</param>
    /// <param name="encoder">The model's encoder.</param>
    /// <param name="poolerWeight">The pooler's weight <c>[H, H]</c>, or null when the model has no pooler.</param>
    /// <param name="poolerBias">The pooler's bias <c>[H]</c>, or null.</param>
    /// <param name="inputs">The inputs.</param>
    /// <returns>The model's output, or null.</returns>
    AlbertModelOutput? TryRunFromIds(AlbertEmbeddings embeddings, AlbertTransformer encoder, Tensor? poolerWeight, Tensor? poolerBias, AlbertInputs inputs) => null;
}
