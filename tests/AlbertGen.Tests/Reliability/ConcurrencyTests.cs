using System.Runtime.InteropServices;
using AlbertGen.Inference;
using AlbertGen.Modeling;
using AlbertGen.Soak;
using AlbertGen.Tokenization;
using static TorchSharp.torch;

namespace AlbertGen.Tests.Reliability;

/// <summary>
/// One loaded model and one tokenizer used from eight threads at once give results bitwise identical to serial runs
/// (on the CPU, float32 or bfloat16 matrix products, the same torch thread setting), whatever the interleaving.
/// </summary>
public sealed class ConcurrencyTests
{
    private const int Threads = 8;

    private static string[] Texts(int count) => SoakRunner.Texts(Path.Combine(SharedFolder.Root, "corpora", "tinyshakespeare.txt"), count);

    private static AlbertTokenizer NewTokenizer() => AlbertTokenizer.FromFile(Path.Combine(SharedFolder.Tokenizer, "spiece.model"));

    /// <summary>Runs <paramref name="work"/> on <see cref="Threads"/> threads released together; rethrows the first failure.</summary>
    private static void OnThreads(Action<int> work)
    {
        using var start = new Barrier(Threads);
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        Thread[] threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                work(t);
            }
            catch (Exception e)
            {
                failures.Enqueue(e);
            }
        })).ToArray();
        foreach (Thread thread in threads)
        {
            thread.Start();
        }

        foreach (Thread thread in threads)
        {
            thread.Join();
        }

        if (failures.TryDequeue(out Exception? first))
        {
            throw new AggregateException(failures.Prepend(first));
        }
    }

    private static int[] Bits(Tensor t) => MemoryMarshal.Cast<float, int>(t.contiguous().data<float>().ToArray().AsSpan()).ToArray();

    private static int[] Logits(AlbertForMaskedLM model, AlbertEncoding encoding, bool inferenceMode, InferenceSession<MaskedLMOutput>? session = null)
    {
        using var scope = NewDisposeScope();
        using IDisposable guard = inferenceMode ? inference_mode() : no_grad();
        using AlbertInputTensors inputs = encoding.ToTensors();
        var modelInputs = new AlbertInputs { InputIds = inputs.InputIds, AttentionMask = inputs.AttentionMask, TokenTypeIds = inputs.TokenTypeIds };
        using MaskedLMOutput output = session is null ? model.forward(modelInputs) : session.Run(modelInputs);
        return Bits(output.Logits);
    }

    [Fact]
    public void An_inference_session_used_from_eight_threads_gives_the_serial_results_bit_for_bit()
    {
        using AlbertForMaskedLM model = AlbertForMaskedLM.FromPretrained(SharedFolder.Model("tiny"));
        ScalarType? products = CpuFeatures.Current.HasNativeBFloat16 ? ScalarType.BFloat16 : null; // bfloat16 where the CPU has it
        using InferenceSession<MaskedLMOutput> session = model.CompileForInference(new InferenceOptions { MatMulDType = products });
        AlbertTokenizer tokenizer = NewTokenizer();
        var options = new AlbertEncodeOptions { Truncation = TruncationStrategy.LongestFirst, MaxLength = model.Config.MaxPositionEmbeddings };
        AlbertEncoding[] encodings = Texts(16).Select(t => tokenizer.Encode(t, options)).ToArray();
        int[][] serial = encodings.Select(e => Logits(model, e, inferenceMode: false, session)).ToArray();
        var mismatches = new System.Collections.Concurrent.ConcurrentBag<string>();
        OnThreads(t =>
        {
            for (int k = 0; k < 3 * encodings.Length; k++)
            {
                int i = (k + t * 5) % encodings.Length;
                if (!Logits(model, encodings[i], inferenceMode: false, session).AsSpan().SequenceEqual(serial[i]))
                {
                    mismatches.Add($"thread {t}, input {i}");
                }
            }
        });

        Assert.Empty(mismatches);
    }

    [Fact]
    public void A_model_used_from_eight_threads_gives_the_serial_results_bit_for_bit()
    {
        using AlbertForMaskedLM model = AlbertForMaskedLM.FromPretrained(SharedFolder.Model("tiny"));
        AlbertTokenizer tokenizer = NewTokenizer();
        var options = new AlbertEncodeOptions { Truncation = TruncationStrategy.LongestFirst, MaxLength = model.Config.MaxPositionEmbeddings };
        AlbertEncoding[] encodings = Texts(16).Select(t => tokenizer.Encode(t, options)).ToArray();
        int[][] serial = encodings.Select(e => Logits(model, e, inferenceMode: true)).ToArray();

        var mismatches = new System.Collections.Concurrent.ConcurrentBag<string>();
        OnThreads(t =>
        {
            for (int round = 0; round < 3; round++)
            {
                for (int k = 0; k < encodings.Length; k++)
                {
                    int i = (k + t * 5) % encodings.Length; // each thread in its own order
                    int[] bits = Logits(model, encodings[i], inferenceMode: t % 2 == 0);
                    if (!bits.AsSpan().SequenceEqual(serial[i]))
                    {
                        mismatches.Add($"thread {t}, round {round}, input {i}");
                    }
                }
            }
        });

        Assert.Empty(mismatches);
    }

    [Fact]
    public void A_session_on_an_albert_base_sized_model_used_from_eight_threads_gives_the_serial_results_bit_for_bit()
    {
        // albert-base-shaped: the session's products run on the kernels chosen for this CPU (oneDNN prepacked where it can).
        using AlbertForMaskedLM model = AlbertForMaskedLM.FromPretrained(SharedFolder.Anchor);
        using InferenceSession<MaskedLMOutput> session = model.CompileForInference();
        Tensor[] batches = Enumerable.Range(0, 2).Select(i =>
        {
            using var generator = new TorchSharp.torch.Generator((ulong)(100 + i));
            return randint(5, model.Config.VocabSize, [2, 16], dtype: ScalarType.Int64, generator: generator);
        }).ToArray();
        int[] Run(Tensor ids)
        {
            using var scope = NewDisposeScope();
            using MaskedLMOutput output = session.Run(new AlbertInputs { InputIds = ids });
            return Bits(output.Logits);
        }

        try
        {
            int[][] serial = batches.Select(Run).ToArray();
            var mismatches = new System.Collections.Concurrent.ConcurrentBag<string>();
            OnThreads(t =>
            {
                for (int k = 0; k < 2 * batches.Length; k++)
                {
                    int i = (k + t) % batches.Length;
                    if (!Run(batches[i]).AsSpan().SequenceEqual(serial[i]))
                    {
                        mismatches.Add($"thread {t}, batch {i}");
                    }
                }
            });

            Assert.Empty(mismatches);
        }
        finally
        {
            foreach (Tensor batch in batches)
            {
                batch.Dispose();
            }
        }
    }

    [Fact]
    public void A_tokenizer_used_from_eight_threads_from_cold_gives_the_serial_results()
    {
        string[] texts = Texts(120);
        var options = new AlbertEncodeOptions { Truncation = TruncationStrategy.LongestFirst, MaxLength = 48, ReturnOverflowingTokens = false, Padding = PaddingStrategy.MaxLength };
        AlbertTokenizer reference = NewTokenizer();
        string[] Describe(AlbertTokenizer tokenizer, int i)
        {
            AlbertEncoding e = tokenizer.Encode(texts[i], texts[(i + 1) % texts.Length], options);
            return
            [
                string.Join(" ", e.Tokens), string.Join(",", e.InputIds), string.Join(",", e.Offsets), string.Join(",", tokenizer.EncodeToIds(texts[i])),
                tokenizer.Decode(e.InputIds, skipSpecialTokens: true),
            ];
        }

        string[][] serial = texts.Select((_, i) => Describe(reference, i)).ToArray();
        AlbertTokenizer shared = NewTokenizer(); // cold caches, filled by all threads at once
        var mismatches = new System.Collections.Concurrent.ConcurrentBag<string>();
        OnThreads(t =>
        {
            for (int k = 0; k < texts.Length; k++)
            {
                int i = (k + t * 13) % texts.Length;
                if (!Describe(shared, i).SequenceEqual(serial[i]))
                {
                    mismatches.Add($"thread {t}, text {i}");
                }
            }
        });

        Assert.Empty(mismatches);
        AlbertBatchEncoding batch = shared.EncodeBatch(texts, options);
        Assert.Equal(texts.Select(t => string.Join(",", reference.Encode(t, options).InputIds)), batch.Select(e => string.Join(",", e.InputIds)));
    }
}
