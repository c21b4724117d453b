using System.Text;

namespace AlbertGen.Generators.Emitting
{
    /// <summary>Writes indented C# lines with '\n' line endings, so the output is the same on every OS.</summary>
    internal sealed class SourceWriter
    {
        private readonly StringBuilder _text = new StringBuilder();
        private int _indent;

        public void Line(string line = "")
        {
            if (line.Length > 0)
            {
                _text.Append(' ', _indent * 4).Append(line);
            }

            _text.Append('\n');
        }

        public void Open(string line)
        {
            Line(line);
            Line("{");
            _indent++;
        }

        public void Close(string closing = "}")
        {
            _indent--;
            Line(closing);
        }

        public void Doc(string summary)
        {
            Line("/// <summary>" + summary + "</summary>");
        }

        public void DocLines(string tag, params string[] lines)
        {
            Line("/// <" + tag + ">");
            foreach (string line in lines)
            {
                Line("/// " + line);
            }

            Line("/// </" + tag + ">");
        }

        public override string ToString() => _text.ToString();
    }
}
