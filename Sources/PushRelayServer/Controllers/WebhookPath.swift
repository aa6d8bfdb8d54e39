/// Which paths are a webhook's: `/hooks` and `/hooks/{provider}` (`/hooks/terrakube` among them, for the
/// method guard; its POST is the Terrakube hint's route).
enum WebhookPath {
    /// `nil` for a path that is not a webhook's; `.some(nil)` for `/hooks`; the segment for `/hooks/{x}`.
    static func provider(in path: Substring) -> Substring?? {
        var segments = path.split(separator: "/", omittingEmptySubsequences: true)[...]
        guard segments.popFirst() == "hooks", segments.count <= 1 else { return nil }
        return .some(segments.first)
    }
}
