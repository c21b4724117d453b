using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using AlbertGen.Tests;

namespace AlbertGen.Server.Tests;

/// <summary>
/// The playground page at <c>/</c> in a real browser: headless Chromium (Debian's <c>chromium</c>, which <c>.ci/run</c>
/// installs) loads it from a test server on loopback, runs fill-mask and question answering through the page, and the
/// test reads the answers from the page's DOM.
/// </summary>
[Trait("Category", "Slow")]
public sealed partial class PlaygroundTests
{
    [Fact]
    public async Task Chromium_runs_fill_mask_and_question_answering_through_the_page()
    {
        AlbertServerOptions options = ServerPool.Options(TaskModelDirectory.Tiny) with
        {
            ModelId = "tiny",
            AdditionalModels = [new ServedModelSource("qa", TaskModelDirectory.Head("qa"))],
        };
        await using RunningServer server = await RunningServer.StartAsync(options, socket: true);
        const string text = "the quick brown [MASK] jumps";
        const string question = "who went?";
        const string context = "George went to Washington and came back the next day.";
        string fragment = $"autorun=fill-mask@tiny,qa@qa&fill={Uri.EscapeDataString(text)}&question={Uri.EscapeDataString(question)}&context={Uri.EscapeDataString(context)}";

        string dom = Script().Replace(await DumpDomAsync(new Uri(server.BaseAddress, "/#" + fragment)), ""); // the rendered page, not its code

        Assert.Contains("data-ready=\"true\"", dom);
        string[] tokens = [.. Candidate().Matches(dom).Select(m => WebUtility.HtmlDecode(m.Groups[1].Value))];
        Assert.Equal(Library.FillMask.Predict(text).Masks[0].Select(c => c.TokenStr), tokens);
        string expected = Library.QuestionAnswering.Answer(question, context).Answers[0].Answer;
        Assert.Equal(expected, WebUtility.HtmlDecode(Answer().Match(dom).Groups[1].Value));
        Assert.Contains($"<mark class=\"answer\">{WebUtility.HtmlEncode(expected)}</mark>", dom); // highlighted in its context
    }

    [Fact]
    public async Task The_page_needs_the_api_key_and_no_playground_leaves_it_out()
    {
        await using (RunningServer keyed = await RunningServer.StartAsync(ServerPool.Options(TaskModelDirectory.Tiny) with { ApiKey = "k" }))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await keyed.Client.GetAsync("/")).StatusCode);
            using var request = new HttpRequestMessage(HttpMethod.Get, "/");
            request.Headers.Authorization = new("Bearer", "k");
            HttpResponseMessage page = await keyed.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            string html = await page.Content.ReadAsStringAsync();
            Assert.Contains("AlbertGen playground", html);
            Assert.DoesNotContain("src=\"http", html); // nothing fetched from elsewhere
        }

        await using RunningServer off = await RunningServer.StartAsync(ServerPool.Options(TaskModelDirectory.Tiny) with { Playground = false });
        Assert.Equal(HttpStatusCode.NotFound, (await off.Client.GetAsync("/")).StatusCode);
    }

    /// <summary>Loads the page in headless Chromium and returns the DOM once its scripts have run.</summary>
    private static async Task<string> DumpDomAsync(Uri url)
    {
        string profile = Directory.CreateTempSubdirectory("albertgen-chromium-").FullName;
        try
        {
            var start = new ProcessStartInfo("chromium")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (string arg in new[]
            {
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions", $"--user-data-dir={profile}",
                // Virtual time stands still while the page's requests are in flight, so the budget is spent only on its scripts.
                "--virtual-time-budget=30000", "--dump-dom", url.ToString(),
            })
            {
                start.ArgumentList.Add(arg);
            }

            using Process chromium = Process.Start(start)!;
            Task<string> dom = chromium.StandardOutput.ReadToEndAsync();
            Task<string> errors = chromium.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            await chromium.WaitForExitAsync(timeout.Token);
            Assert.True(chromium.ExitCode == 0, $"chromium exited {chromium.ExitCode}: {await errors}");
            return await dom;
        }
        finally
        {
            Directory.Delete(profile, recursive: true);
        }
    }

    [GeneratedRegex("<script>.*?</script>", RegexOptions.Singleline)]
    private static partial Regex Script();

    [GeneratedRegex("<li class=\"candidate\" data-token=\"([^\"]*)\"")]
    private static partial Regex Candidate();

    [GeneratedRegex("<b id=\"qa-answer\">([^<]*)</b>")]
    private static partial Regex Answer();
}
