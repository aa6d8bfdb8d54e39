import Foundation

/// Small JSON documents that several kinds of work build up together (a pull request's plan comment, a
/// commit's summary status), each written by compare-and-set on its version: a writer reads, applies its
/// change and writes only if no one wrote meanwhile, else reads again. Two replicas adding to the same
/// document at once lose neither change. Retention removes those not written for its period.
package protocol DocumentStore: Sendable {
    /// The document's text and version; `nil` when there is none.
    func document(_ key: DocumentKey) async throws -> (text: String, version: Int)?

    /// Writes `text` if the stored document is still at `version` (`nil`: none is stored).
    /// - Returns: whether it was written; `false` when another writer came first.
    func writeDocument(_ key: DocumentKey, _ text: String, replacing version: Int?) async throws -> Bool
}

/// Which document: its scope names what it is (``DocumentKey/Scope``), its name which one.
package struct DocumentKey: Sendable, Hashable {
    package var scope: Scope
    package var name: String

    package init(_ scope: Scope, _ name: String) {
        self.scope = scope
        self.name = name
    }

    package struct Scope: RawRepresentable, Sendable, Hashable {
        package var rawValue: String
        package init(rawValue: String) { self.rawValue = rawValue }
    }
}

/// A stored document that does not decode as its scope's type.
package struct DocumentUnreadable: Error, CustomStringConvertible {
    package var key: DocumentKey
    package var description: String { "the stored \(self.key.scope.rawValue) document \(self.key.name) does not read" }
}

extension DocumentStore {
    /// The document under `key`, decoded, with its version.
    package func read<Document: Decodable>(
        _ type: Document.Type,
        at key: DocumentKey
    ) async throws -> (document: Document, version: Int)? {
        guard let (text, version) = try await self.document(key) else { return nil }
        guard let document = try? JSONDecoder().decode(Document.self, from: Data(text.utf8)) else {
            throw DocumentUnreadable(key: key)
        }
        return (document, version)
    }

    /// Writes `document` if the stored one is still at `version`.
    package func write<Document: Encodable>(
        _ document: Document,
        at key: DocumentKey,
        replacing version: Int?
    ) async throws -> Bool {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let text = String(decoding: try encoder.encode(document), as: UTF8.self)
        return try await self.writeDocument(key, text, replacing: version)
    }

    /// Applies `change` to the document under `key` (`nil` when there is none), retrying while other writers
    /// come first: the one loop every compare-and-set writer shares.
    /// - Returns: the document written; `nil` when `change` changed nothing (returned `nil`).
    package func update<Document: Codable & Sendable>(
        _ type: Document.Type,
        at key: DocumentKey,
        _ change: (Document?) -> Document?
    ) async throws -> Document? {
        while true {
            let stored = try await self.read(type, at: key)
            guard let next = change(stored?.document) else { return nil }
            if try await self.write(next, at: key, replacing: stored?.version) { return next }
        }
    }
}
