import HTTPTypes
import PushRelayCore

extension WebhookHeaders {
    /// A request's header fields, in order, as the intake reads them.
    init(_ fields: HTTPFields) {
        self.init(fields.map { (name: $0.name.rawName, value: $0.value) })
    }
}
