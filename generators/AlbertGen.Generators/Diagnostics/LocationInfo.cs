using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace AlbertGen.Generators.Diagnostics
{
    /// <summary>
    /// A source location as plain values: a <see cref="Location"/> holds its syntax tree, which would keep old
    /// compilations alive and defeat the incremental cache, so specs carry this instead.
    /// </summary>
    internal sealed record LocationInfo(string FilePath, TextSpan Span, LinePositionSpan LineSpan)
    {
        public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);

        public static LocationInfo? From(Location? location)
        {
            if (location is null || location.SourceTree is null)
            {
                return null;
            }

            FileLinePositionSpan lines = location.GetLineSpan();
            return new LocationInfo(lines.Path, location.SourceSpan, lines.Span);
        }
    }
}
