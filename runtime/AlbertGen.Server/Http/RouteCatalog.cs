using AlbertGen.Server.Engine;

namespace AlbertGen.Server.Http;

/// <summary>One route of the server: its method, path, and the capability the model needs for it (null = none).</summary>
/// <param name="Method">GET or POST.</param>
/// <param name="Path">The path.</param>
/// <param name="Needs">What the model must be able to do; null for routes every model serves.</param>
internal sealed record ServerRoute(string Method, string Path, ModelCapability? Needs);

/// <summary>Every route, in the order <c>/info</c> lists them: the single table the endpoints and <c>/info</c> are built from.</summary>
internal static class RouteCatalog
{
    /// <summary><c>POST /embed</c> (TEI).</summary>
    public static ServerRoute Embed { get; } = new("POST", "/embed", ModelCapability.Embeddings);

    /// <summary><c>POST /v1/embeddings</c> (OpenAI).</summary>
    public static ServerRoute OpenAIEmbeddings { get; } = new("POST", "/v1/embeddings", ModelCapability.Embeddings);

    /// <summary><c>POST /predict</c> (TEI).</summary>
    public static ServerRoute Predict { get; } = new("POST", "/predict", ModelCapability.Classification);

    /// <summary><c>POST /rerank</c> (TEI).</summary>
    public static ServerRoute Rerank { get; } = new("POST", "/rerank", ModelCapability.Reranking);

    /// <summary><c>POST /tokenize</c> (TEI).</summary>
    public static ServerRoute Tokenize { get; } = new("POST", "/tokenize", null);

    /// <summary><c>POST /decode</c> (TEI).</summary>
    public static ServerRoute Decode { get; } = new("POST", "/decode", null);

    /// <summary><c>POST /fill-mask</c> (HuggingFace Inference API).</summary>
    public static ServerRoute FillMask { get; } = new("POST", "/fill-mask", ModelCapability.FillMask);

    /// <summary><c>POST /token-classification</c> (HuggingFace Inference API).</summary>
    public static ServerRoute TokenClassification { get; } = new("POST", "/token-classification", ModelCapability.TokenClassification);

    /// <summary><c>POST /question-answering</c> (HuggingFace Inference API).</summary>
    public static ServerRoute QuestionAnswering { get; } = new("POST", "/question-answering", ModelCapability.QuestionAnswering);

    /// <summary><c>POST /multiple-choice</c>.</summary>
    public static ServerRoute MultipleChoice { get; } = new("POST", "/multiple-choice", ModelCapability.MultipleChoice);

    /// <summary><c>GET /info</c>.</summary>
    public static ServerRoute Info { get; } = new("GET", "/info", null);

    /// <summary><c>GET /health</c>: 200 once the model is loaded and warmed, 503 before; never queued.</summary>
    public static ServerRoute Health { get; } = new("GET", "/health", null);

    /// <summary><c>GET /metrics</c>: Prometheus text.</summary>
    public static ServerRoute Metrics { get; } = new("GET", "/metrics", null);

    /// <summary><c>GET /v1/models</c> (OpenAI): the served models.</summary>
    public static ServerRoute Models { get; } = new("GET", "/v1/models", null);

    /// <summary>All routes.</summary>
    public static IReadOnlyList<ServerRoute> All { get; } =
    [
        Embed, OpenAIEmbeddings, Predict, Rerank, Tokenize, Decode, FillMask, TokenClassification, QuestionAnswering, MultipleChoice, Info, Models, Health, Metrics,
    ];
}
