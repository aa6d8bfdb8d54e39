import Hummingbird

/// Answers every method but POST on `/hooks` and `/hooks/{provider}` with `405` (OPTIONS, TRACE, CONNECT,
/// PROPFIND…; one the HTTP parser does not know never gets here): the router alone would answer a method it
/// has no route for with `404`, as if the path did not exist.
struct WebhookMethodGuard<Context: RequestContext>: RouterMiddleware {
    /// The refusal, given the `{provider}` segment when the path has one.
    let refuse: @Sendable (_ provider: Substring?, _ context: Context) -> Response

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard request.method != .post, let provider = WebhookPath.provider(in: Substring(request.uri.path)) else {
            return try await next(request, context)
        }
        return self.refuse(provider, context)
    }
}
