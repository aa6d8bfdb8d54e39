import Foundation

/// A kind of work and the payload its items carry, as swift-jobs' `JobName<Parameters>` names a job and
/// its parameters: the one place a kind's items are encoded for the queue and read back for its handler.
/// The queue itself stores the kind's name and the bytes, and never looks further.
package struct WorkType<Payload: Codable & Sendable>: Sendable {
    package var kind: WorkKind
    /// Whether a result recorded by one of its items is that item's alone: the store refuses the same
    /// result for a second item of the kind (a Terrakube job id is recorded by one creation at most,
    /// whichever process adopts it). Other kinds' items may well record the same text.
    package var uniqueResults: Bool

    package init(_ kind: WorkKind, uniqueResults: Bool = false) {
        self.kind = kind
        self.uniqueResults = uniqueResults
    }

    /// An item of this kind carrying `payload`; see ``NewWork`` for the rest.
    package func work(
        _ payload: Payload,
        after: Duration = .zero,
        key: String? = nil,
        once: Bool = false,
        group: String? = nil
    ) -> NewWork {
        NewWork(
            kind: self.kind,
            payload: self.encoded(payload),
            after: after,
            key: key,
            once: once,
            group: group,
            uniqueResult: self.uniqueResults
        )
    }

    /// The payload as JSON with sorted keys, so that two items saying the same have the same bytes (a
    /// redelivery queues one item per distinct payload). Codable values of strings, numbers and dates
    /// always encode; were one not to, the item is stored empty and fails, with the reason, when read.
    package func encoded(_ payload: Payload) -> [UInt8] {
        WorkPayloadJSON.encode(payload) ?? (try? payloadEncoder.encode(payload)).map(Array.init) ?? []
    }

    /// An item's payload, as its handler takes it.
    package func payload(_ bytes: [UInt8]) throws -> Payload {
        try JSONDecoder().decode(Payload.self, from: Data(bytes))
    }
}

/// One encoder for every kind's payloads, made once: one made per item showed on the accept path. (A
/// generic type cannot hold a static stored property.)
private let payloadEncoder: JSONEncoder = {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return encoder
}()
