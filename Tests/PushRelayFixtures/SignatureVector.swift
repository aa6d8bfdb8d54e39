import Foundation

/// One entry of `Fixtures/vectors.json`: a secret, a body, headers, and whether a verifier should accept.
package struct SignatureVector: Decodable, Sendable, CustomStringConvertible {
    package var id: String
    package var scheme: String
    package var secret: String
    package var body: String?
    package var body_base64: String?
    package var body_file: String?
    package var header: [String: String]
    package var expected_valid: Bool

    package var description: String { self.id }

    /// The exact bytes the vector signs. `body_file` paths in vectors.json start with `payloads/`;
    /// the files sit directly under `Fixtures/`.
    package var bodyBytes: [UInt8]? {
        if let base64 = self.body_base64, let data = Data(base64Encoded: base64) { return Array(data) }
        if let body = self.body { return Array(body.utf8) }
        guard var path = self.body_file else { return nil }
        if path.hasPrefix("payloads/") { path.removeFirst("payloads/".count) }
        let url = Fixture.root.appendingPathComponent(path)
        return (try? Data(contentsOf: url)).map(Array.init)
    }

    package static func all() -> [SignatureVector] {
        struct File: Decodable { var vectors: [SignatureVector] }
        let data = try! Data(contentsOf: Fixture.root.appendingPathComponent("vectors.json"))
        return try! JSONDecoder().decode(File.self, from: data).vectors
    }
}
