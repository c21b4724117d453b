using static TorchSharp.torch;

namespace AlbertGen.Modeling;

/// <summary>
/// Keeps one value made from a set of tensors for as long as those tensors are unchanged, and hands it out through leases so
/// that concurrent users never lose a value they are using. The encoder keeps its prepared layer weights here: packing them
/// again every pass cost a 16-token albert-base pass more than half its time.
/// </summary>
/// <remarks>
/// <para>
/// Staleness: the value records each source tensor's identity and libtorch version counter (<see cref="TensorVersions"/>). A
/// source replaced (conversion, assignment), disposed or changed in place (a checkpoint loader's <c>copy_</c>, an optimiser
/// step, <c>mul_</c>) no longer matches, and the next <see cref="Acquire"/> makes the value again. Sources without a version
/// counter (inference tensors) are never cached: every acquisition makes its own value. Writes that bypass libtorch (through
/// a raw data pointer) are not seen, as they are not by libtorch's autograd checks either.
/// </para>
/// <para>
/// Lifetime: a value is disposed when it is no longer current and its last lease has ended, or when the cache is disposed
/// and no lease holds it.
/// </para>
/// </remarks>
/// <typeparam name="TKey">What else the value depends on (dtype, options), compared with <see cref="EqualityComparer{T}.Default"/>.</typeparam>
/// <typeparam name="TValue">The value; the cache owns and disposes it.</typeparam>
internal sealed class VersionedCache<TKey, TValue> : IDisposable
    where TValue : class, IDisposable
{
    private readonly object _gate = new();
    private Entry? _current;

    /// <summary>
    /// A lease on the value for <paramref name="key"/> made from <paramref name="sources"/>: the kept one while it is current,
    /// otherwise a new one from <paramref name="make"/> (called under the cache's lock). Dispose the lease when done with it.
    /// </summary>
    public Lease Acquire(TKey key, IReadOnlyList<Tensor> sources, Func<TValue> make)
    {
        lock (_gate)
        {
            if (_current is { } current && EqualityComparer<TKey>.Default.Equals(current.Key, key) && current.IsMadeFrom(sources))
            {
                current.References++;
                return new Lease(this, current);
            }

            SourceVersion[]? versions = SourceVersion.Read(sources);
            var made = new Entry(key, versions, make()) { References = 1 };
            if (versions is not null)
            {
                if (_current is { } stale)
                {
                    _current = null;
                    Release(stale);
                }

                made.References++; // the cache's own reference
                _current = made;
            }

            return new Lease(this, made);
        }
    }

    /// <summary>Gives up the kept value (a lease still held keeps it until the lease ends); later acquisitions make a new one.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            if (_current is { } current)
            {
                _current = null;
                Release(current);
            }
        }
    }

    /// <summary>Gives up the kept value, as <see cref="Clear"/>.</summary>
    public void Dispose() => Clear();

    private void Release(Entry entry)
    {
        lock (_gate)
        {
            if (--entry.References == 0)
            {
                entry.Value.Dispose();
            }
        }
    }

    /// <summary>One user's hold on a value.</summary>
    public sealed class Lease : IDisposable
    {
        private readonly Entry _entry;
        private VersionedCache<TKey, TValue>? _owner;

        internal Lease(VersionedCache<TKey, TValue> owner, Entry entry) => (_owner, _entry) = (owner, entry);

        /// <summary>The value, valid until the lease is disposed.</summary>
        public TValue Value => _entry.Value;

        /// <summary>Ends the lease (once; later calls do nothing).</summary>
        public void Dispose() => Interlocked.Exchange(ref _owner, null)?.Release(_entry);
    }

    /// <summary>A value and what it was made from; <see cref="References"/> is guarded by the cache's lock.</summary>
    internal sealed class Entry(TKey key, SourceVersion[]? sources, TValue value)
    {
        public TKey Key { get; } = key;
        public TValue Value { get; } = value;
        public int References { get; set; }

        public bool IsMadeFrom(IReadOnlyList<Tensor> current)
        {
            if (sources is null || sources.Length != current.Count)
            {
                return false;
            }

            for (int i = 0; i < sources.Length; i++)
            {
                if (!ReferenceEquals(current[i], sources[i].Tensor) || TensorVersions.Of(current[i]) != sources[i].Version)
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>A source tensor and its version when the value was made.</summary>
    internal readonly record struct SourceVersion(Tensor Tensor, long Version)
    {
        /// <summary>The versions of <paramref name="tensors"/>, or null when any has none.</summary>
        public static SourceVersion[]? Read(IReadOnlyList<Tensor> tensors)
        {
            var versions = new SourceVersion[tensors.Count];
            for (int i = 0; i < versions.Length; i++)
            {
                if (TensorVersions.Of(tensors[i]) is not { } version)
                {
                    return null;
                }

                versions[i] = new SourceVersion(tensors[i], version);
            }

            return versions;
        }
    }
}
