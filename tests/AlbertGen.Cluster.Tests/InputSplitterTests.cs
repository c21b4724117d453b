using System.Text;
using AlbertGen.Batch;
using AlbertGen.Cluster.Jobs;
using AlbertGen.Tests;

namespace AlbertGen.Cluster.Tests;

/// <summary>Shards by byte range: whole lines, numbered as the single-process reader numbers them, whatever the line ends.</summary>
public sealed class InputSplitterTests : IDisposable
{
    private readonly TempDirectory _temp = new("cluster");

    /// <summary>Deletes the test's temporary files.</summary>
    public void Dispose() => _temp.Dispose();

    private string Write(string text, bool byteOrderMark = false)
    {
        string path = Path.Combine(_temp.NewFolder(), "input.jsonl");
        File.WriteAllBytes(path, [.. (byteOrderMark ? Encoding.UTF8.GetPreamble() : []), .. Encoding.UTF8.GetBytes(text)]);
        return path;
    }

    [Theory]
    [InlineData("{\"text\":\"a\"}\n{\"text\":\"b\"}\n\n{\"text\":\"ç\"}\n{\"text\":\"d\"}\n", false)]
    [InlineData("{\"text\":\"a\"}\r\n{\"text\":\"b\"}\r\n\r\n{\"text\":\"ç\"}\r\n{\"text\":\"d\"}", false)]
    [InlineData("{\"text\":\"a\"}\r{\"text\":\"b\"}\r\r{\"text\":\"ç\"}\n{\"text\":\"d\"}\r", true)]
    public void Shards_read_back_the_lines_of_the_whole_file_with_the_same_numbers(string text, bool byteOrderMark)
    {
        string path = Write(text, byteOrderMark);
        List<JsonlLine> whole = JsonlReader.Read(path);
        for (int size = 1; size <= 6; size++)
        {
            List<ShardRange> shards = InputSplitter.Split(path, size);
            Assert.Equal(5, shards.Sum(s => s.LineCount));
            Assert.Equal(new FileInfo(path).Length, shards[^1].End);
            Assert.All(shards.Zip(shards.Skip(1)), p => Assert.Equal(p.First.End, p.Second.Start));
            Assert.All(shards.SkipLast(1), s => Assert.Equal(size, s.LineCount));
            List<JsonlLine> joined = [.. shards.SelectMany(s => JsonlReader.Read(path, s.Start, s.End, s.FirstLine))];
            Assert.Equal(whole.Select(l => (l.Line, l.Value.GetRawText())), joined.Select(l => (l.Line, l.Value.GetRawText())));
        }

        Assert.Equal([1, 2, 4, 5], whole.Select(l => l.Line));
        Assert.Equal("ç", whole[2].Value.GetProperty("text").GetString());
    }

    [Fact]
    public void An_empty_file_has_no_shards_and_a_bad_line_is_named_by_its_file_line()
    {
        Assert.Empty(InputSplitter.Split(Write(""), 10));
        string path = Write("{\"text\":\"a\"}\n{\"text\":\"b\"}\n[1, 2]\n");
        ShardRange last = InputSplitter.Split(path, 2)[1];
        var error = Assert.Throws<JsonlLineException>(() => JsonlReader.Read(path, last.Start, last.End, last.FirstLine));
        Assert.Equal(3, error.Line);
        Assert.Equal($"{path}:3: expected a JSON object, found array.", error.Message);
    }
}
