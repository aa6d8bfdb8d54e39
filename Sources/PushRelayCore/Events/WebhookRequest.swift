/// A webhook request's headers and raw body: what a provider sends, and what `replay --to` sends again.
package struct WebhookRequest: Sendable, Equatable {
    package var headers: WebhookHeaders
    package var body: [UInt8]

    package init(headers: WebhookHeaders, body: [UInt8]) {
        self.headers = headers
        self.body = body
    }
}
