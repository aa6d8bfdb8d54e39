import Foundation
import PushRelayCore

/// A delivery's headers as both stores keep them: a JSON array of `[name, value]` pairs, in order.
enum StoredHeaders {
    /// Written by hand into one buffer: a JSONEncoder, or a string per header, shows up in profiles.
    static func json(_ headers: WebhookHeaders) -> String {
        var out = "["
        out.reserveCapacity(headers.fields.reduce(2) { $0 + $1.name.utf8.count + $1.value.utf8.count + 8 })
        for (index, field) in headers.fields.enumerated() {
            out += index == 0 ? "[" : ",["
            JSONText.appendQuoted(field.name, to: &out)
            out += ","
            JSONText.appendQuoted(field.value, to: &out)
            out += "]"
        }
        return out + "]"
    }

    static func decode(_ text: String?) -> WebhookHeaders {
        guard let text, let pairs = try? JSONDecoder().decode([[String]].self, from: Data(text.utf8)) else {
            return WebhookHeaders()
        }
        return WebhookHeaders(pairs.compactMap { $0.count == 2 ? (name: $0[0], value: $0[1]) : nil })
    }
}
