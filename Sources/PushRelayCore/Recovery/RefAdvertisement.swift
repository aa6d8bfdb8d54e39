/// What a Git server answers to `GET {clone URL}/info/refs?service=git-upload-pack` (Git's smart HTTP
/// protocol, version 0 and 1): every ref and the object it names, as `git ls-remote` lists them, read
/// from pkt-lines. Untrusted bytes: anything that is not such an answer is refused with a reason, never
/// half read.
package struct RefAdvertisement: Sendable, Equatable {
    /// One advertised line: `HEAD`, a ref, or a peeled tag (`refs/tags/v1^{}`, the commit an annotated
    /// tag points to), in the server's order.
    package struct Ref: Sendable, Equatable {
        package var name: String
        package var object: String

        package init(name: String, object: String) {
            self.name = name
            self.object = object
        }
    }

    package var refs: [Ref]

    /// The most of an answer read: GitHub advertises every pull request's refs too, and a repository with
    /// 100,000 of them answers with about 12 MiB.
    package static let maxBytes = 32 << 20

    package init(refs: [Ref]) {
        self.refs = refs
    }

    /// Branches and tags with the object each names, peeled lines, `HEAD` and other refs (review refs
    /// such as `refs/pull/…`) left out: the heads that pushes move.
    package var heads: [String: String] {
        var heads: [String: String] = [:]
        for ref in self.refs
        where (ref.name.hasPrefix("refs/heads/") || ref.name.hasPrefix("refs/tags/")) && !ref.name.hasSuffix("^{}") {
            heads[ref.name] = ref.object
        }
        return heads
    }

    /// Reads an answer. - Throws: why it is not a ref advertisement.
    package init(parsing bytes: [UInt8]) throws(RefAdvertisementError) {
        guard bytes.count <= Self.maxBytes else {
            throw RefAdvertisementError("longer than \(Self.maxBytes) bytes")
        }
        var reader = PktLineReader(bytes)
        // `# service=git-upload-pack`, then a flush; a dumb server's plain text list has neither.
        let service: PktLineReader.Packet?
        do {
            service = try reader.next()
        } catch {
            throw RefAdvertisementError("not a smart-HTTP ref advertisement (\(error.reason))")
        }
        guard case .data(let first) = service, Self.text(first) == "# service=git-upload-pack" else {
            throw RefAdvertisementError("not a smart-HTTP ref advertisement (no '# service=git-upload-pack' line)")
        }
        guard case .flush = try reader.next() else {
            throw RefAdvertisementError("no flush after the service line")
        }
        var refs: [Ref] = []
        var atFirstLine = true
        while true {
            guard let packet = try reader.next() else { throw RefAdvertisementError("truncated: no closing flush") }
            guard case .data(var line) = packet else { break }
            // A server asked for protocol version 1 says so before the refs.
            defer { atFirstLine = false }
            if atFirstLine, Self.text(line).hasPrefix("version ") { continue }
            // The first ref carries the capabilities after a NUL.
            if let nul = line.firstIndex(of: 0) {
                guard refs.isEmpty else { throw RefAdvertisementError("capabilities after the first ref") }
                line = Array(line[..<nul])
            }
            let ref = try Self.ref(Self.text(line))
            // An empty repository advertises only its capabilities, on a line of zeros.
            if ref.name == "capabilities^{}" && ref.object.allSatisfy({ $0 == "0" }) { continue }
            refs.append(ref)
        }
        guard reader.atEnd else { throw RefAdvertisementError("bytes after the closing flush") }
        self.refs = refs
    }

    private static func ref(_ line: String) throws(RefAdvertisementError) -> Ref {
        let parts = line.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw RefAdvertisementError("a ref line without an object and a name") }
        let object = String(parts[0])
        let name = String(parts[1])
        // SHA-1 (40) or SHA-256 (64) hex, lower case as Git writes it.
        guard object.utf8.count == 40 || object.utf8.count == 64,
            object.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) })
        else { throw RefAdvertisementError("'\(object.prefix(64))' is not an object id") }
        guard !name.isEmpty, name.utf8.count <= 4096,
            !name.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F || $0 == 0x20 })
        else { throw RefAdvertisementError("a ref name that is empty, too long or has control characters") }
        return Ref(name: name, object: object)
    }

    /// A line's text without its trailing newline.
    private static func text(_ line: [UInt8]) -> String {
        String(decoding: line.last == 0x0A ? line.dropLast() : line[...], as: UTF8.self)
    }
}

/// Why an answer is not a ref advertisement; says what was wrong, never echoes more than an object id.
package struct RefAdvertisementError: Error, Equatable, CustomStringConvertible {
    package var reason: String

    package init(_ reason: String) {
        self.reason = reason
    }

    package var description: String { self.reason }
}

/// Git's pkt-line framing: four hex digits give a line's length, themselves included; `0000` is a flush.
struct PktLineReader {
    enum Packet: Equatable {
        case flush
        case data([UInt8])
    }

    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var atEnd: Bool { self.position == self.bytes.count }

    /// The next packet; `nil` at the end of the bytes. - Throws: on a length that is not four hex digits
    /// or runs past the end.
    mutating func next() throws(RefAdvertisementError) -> Packet? {
        guard self.position < self.bytes.count else { return nil }
        guard self.position + 4 <= self.bytes.count else { throw RefAdvertisementError("truncated pkt-line length") }
        var length = 0
        for byte in self.bytes[self.position..<self.position + 4] {
            guard let digit = Self.hexValue(byte) else { throw RefAdvertisementError("not pkt-line framed") }
            length = length << 4 | digit
        }
        switch length {
        case 0:
            self.position += 4
            return .flush
        case 1...4:
            // 0001 (delimiter) and 0002 (response end) belong to protocol version 2, never sent here.
            throw RefAdvertisementError("unexpected pkt-line length \(length)")
        default:
            guard self.position + length <= self.bytes.count else { throw RefAdvertisementError("truncated pkt-line") }
            let data = Array(self.bytes[self.position + 4..<self.position + length])
            self.position += length
            return .data(data)
        }
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case 0x30...0x39: Int(byte - 0x30)
        case 0x61...0x66: Int(byte - 0x61 + 10)
        case 0x41...0x46: Int(byte - 0x41 + 10)
        default: nil
        }
    }
}
