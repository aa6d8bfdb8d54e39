import Foundation
import PushRelayCore

/// A delivery's headers as both stores keep them: a JSON array of `[name, value]` pairs, in order.
enum StoredHeaders {
    /// Written by hand: a JSONEncoder per delivery shows up in profiles.
    static func json(_ headers: WebhookHeaders) -> String {
        "[" + headers.fields.map { JSONText.array([$0.name, $0.value]) }.joined(separator: ",") + "]"
    }

    static func decode(_ text: String?) -> WebhookHeaders {
        guard let text, let pairs = try? JSONDecoder().decode([[String]].self, from: Data(text.utf8)) else {
            return WebhookHeaders()
        }
        return WebhookHeaders(pairs.compactMap { $0.count == 2 ? (name: $0[0], value: $0[1]) : nil })
    }
}
