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
        guard request.method != .post, let provider = Self.hookPath(request.uri.path) else {
            return try await next(request, context)
        }
        return self.refuse(provider, context)
    }

    /// `nil` for a path that is not a webhook's; `.some(nil)` for `/hooks`; the segment for `/hooks/{x}`.
    static func hookPath(_ path: String) -> Substring?? {
        var segments = path.split(separator: "/", omittingEmptySubsequences: true)[...]
        guard segments.popFirst() == "hooks", segments.count <= 1 else { return nil }
        return .some(segments.first)
    }
}
