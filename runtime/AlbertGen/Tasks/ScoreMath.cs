namespace AlbertGen.Tasks;

/// <summary>The score functions of HuggingFace's pipelines, on plain arrays (max-shifted, so large logits do not overflow).</summary>
internal static class ScoreMath
{
    /// <summary>exp(x - max) / Σ exp(x - max).</summary>
    public static float[] Softmax(ReadOnlySpan<float> logits)
    {
        var result = new float[logits.Length];
        if (logits.Length == 0)
        {
            return result;
        }

        float max = float.NegativeInfinity;
        foreach (float x in logits)
        {
            max = Math.Max(max, x);
        }

        double sum = 0;
        var exp = new double[logits.Length];
        for (int i = 0; i < logits.Length; i++)
        {
            exp[i] = Math.Exp(logits[i] - max);
            sum += exp[i];
        }

        for (int i = 0; i < logits.Length; i++)
        {
            result[i] = (float)(exp[i] / sum);
        }

        return result;
    }

    /// <summary>1 / (1 + exp(-x)) per element.</summary>
    public static float[] Sigmoid(ReadOnlySpan<float> logits)
    {
        var result = new float[logits.Length];
        for (int i = 0; i < logits.Length; i++)
        {
            result[i] = (float)(1.0 / (1.0 + Math.Exp(-logits[i])));
        }

        return result;
    }

    /// <summary>Indices of the <paramref name="k"/> largest values, largest first; ties keep the lower index first.</summary>
    public static int[] TopK(ReadOnlySpan<float> values, int k)
    {
        k = Math.Min(k, values.Length);
        if (k <= 0)
        {
            return [];
        }

        // A small sorted buffer: k is a handful, the vocabulary tens of thousands.
        var best = new List<int>(k + 1);
        for (int i = 0; i < values.Length; i++)
        {
            float v = values[i];
            if (best.Count == k && !(v > values[best[^1]]))
            {
                continue;
            }

            int at = best.Count;
            while (at > 0 && v > values[best[at - 1]])
            {
                at--;
            }

            best.Insert(at, i);
            if (best.Count > k)
            {
                best.RemoveAt(k);
            }
        }

        return [.. best];
    }
}
