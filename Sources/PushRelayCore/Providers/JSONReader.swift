import Foundation

/// Reads one JSON document in a single pass, checking all of it, and turns into Swift values only the
/// members its caller asks for.
///
/// `JSONDecoder` first maps the whole document, then decodes: about 37 µs for a 7 KB push, most of it
/// spent on fields PushRelay never reads (authors, timestamps, a dozen URLs per repository), and a fifth
/// of the accept path's CPU. This reader skips them without allocating.
///
/// It accepts RFC 8259 JSON in UTF-8 (after an optional byte order mark), and is stricter than
/// `JSONDecoder`, never looser: it refuses trailing commas, malformed numbers and bad escapes anywhere,
/// and nesting deeper than ``maxDepth``. What both accept, both read alike; `PayloadReaderTests` and the
/// `github-payload` fuzz target check this against `JSONDecoder`. As with `JSONDecoder`, the first of
/// two members with the same name is the one read.
struct JSONReader {
    enum Failure: Error, Equatable {
        /// Not JSON (or JSON this reader refuses).
        case syntax
        /// JSON, but a member asked for has another type; `path` as `commits.0.added`.
        case type(path: String)
    }

    /// A member name, compared without building a `String` unless it contains an escape.
    struct Key {
        fileprivate let bytes: UnsafeBufferPointer<UInt8>
        fileprivate let escaped: Bool

        /// Whether this is `name` met for the first time in its object: the first of two members with one
        /// name is the one read, as with `JSONDecoder`. `seen` holds a bit for each name met, numbered by
        /// the caller.
        func isFirst(_ name: StaticString, bit: UInt16, seen: inout UInt16) -> Bool {
            guard self == name, seen & 1 << bit == 0 else { return false }
            seen |= 1 << bit
            return true
        }

        static func == (key: Key, name: StaticString) -> Bool {
            guard !key.escaped else {
                return (try? JSONReader.unescape(key.bytes)) == name.description
            }
            guard key.bytes.count == name.utf8CodeUnitCount else { return false }
            return memcmp(key.bytes.baseAddress!, name.utf8Start, key.bytes.count) == 0
        }
    }

    static let maxDepth = 256

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0
    /// The first member asked for with the wrong type. Reported only once the whole document has been
    /// checked, so that a syntax error anywhere wins, as it does for `JSONDecoder`.
    private var mismatch: String?

    private init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    /// Runs `read` over the document in `body`, which must then hold nothing but whitespace.
    static func read<T>(_ body: [UInt8], _ read: (inout JSONReader) throws -> T) throws(Failure) -> T {
        do {
            return try body.withUnsafeBufferPointer { buffer in
                var reader = JSONReader(bytes: buffer)
                if buffer.starts(with: [0xEF, 0xBB, 0xBF]) { reader.index = 3 }
                let value = try read(&reader)
                reader.skipWhitespace()
                guard reader.index == buffer.count else { throw Failure.syntax }
                if let path = reader.mismatch { throw Failure.type(path: path) }
                return value
            }
        } catch let failure as Failure {
            throw failure
        } catch {
            throw .syntax
        }
    }

    // MARK: Values asked for

    /// The members of an object, each handed to `member`, which must read or skip its value. Returns
    /// `false` for `null`; any other value is a type mismatch at `path`. The names of an object that is
    /// read must be text (valid UTF-8, escapes that make characters), as `JSONDecoder` requires; those of
    /// an object skipped need not be.
    @discardableResult
    mutating func object(
        at path: @autoclosure () -> String,
        checkingNames: Bool = true,
        _ member: (inout JSONReader, Key) throws -> Void
    ) throws -> Bool {
        try self.container(UInt8(ascii: "{"), UInt8(ascii: "}"), at: path) { reader, _ in
            guard try reader.peek() == UInt8(ascii: "\"") else { throw Failure.syntax }
            let key = try reader.scanString()
            if checkingNames {
                if key.escaped {
                    _ = try Self.unescape(key.bytes)
                } else if key.bytes.contains(where: { $0 >= 0x80 }) {
                    guard String(validating: key.bytes, as: UTF8.self) != nil else { throw Failure.syntax }
                }
            }
            guard try reader.peek() == UInt8(ascii: ":") else { throw Failure.syntax }
            reader.index += 1
            try member(&reader, key)
        }
    }

    /// The elements of an array, each handed to `element` with its index. Returns `false` for `null`;
    /// any other value is a type mismatch at `path`.
    @discardableResult
    mutating func array(
        at path: @autoclosure () -> String,
        _ element: (inout JSONReader, Int) throws -> Void
    ) throws -> Bool {
        try self.container(UInt8(ascii: "["), UInt8(ascii: "]"), at: path, element)
    }

    /// A string, or `nil` for `null`; any other value is a type mismatch at `path`.
    mutating func string(at path: @autoclosure () -> String) throws -> String? {
        switch try self.peek() {
        case UInt8(ascii: "\""):
            let raw = try self.scanString()
            guard raw.escaped else {
                guard let text = String(validating: raw.bytes, as: UTF8.self) else { throw Failure.syntax }
                return text
            }
            return try Self.unescape(raw.bytes)
        default:
            try self.nullOrMismatch(at: path)
            return nil
        }
    }

    /// A boolean, or `nil` for `null`; any other value is a type mismatch at `path`.
    mutating func bool(at path: @autoclosure () -> String) throws -> Bool? {
        switch try self.peek() {
        case UInt8(ascii: "t"):
            try self.literal("true")
            return true
        case UInt8(ascii: "f"):
            try self.literal("false")
            return false
        default:
            try self.nullOrMismatch(at: path)
            return nil
        }
    }

    /// Checks a value and moves past it.
    mutating func skip() throws {
        switch try self.peek() {
        case UInt8(ascii: "{"): try self.object(at: "", checkingNames: false) { reader, _ in try reader.skip() }
        case UInt8(ascii: "["): try self.array(at: "") { reader, _ in try reader.skip() }
        case UInt8(ascii: "\""): _ = try self.scanString()
        case UInt8(ascii: "t"): try self.literal("true")
        case UInt8(ascii: "f"): try self.literal("false")
        case UInt8(ascii: "n"): try self.literal("null")
        default: try self.scanNumber()
        }
    }

    /// Records a type mismatch at `path` for a value already read (a `null` where `null` is not allowed).
    mutating func mismatch(at path: String) {
        if self.mismatch == nil { self.mismatch = path }
    }

    // MARK: Scanning

    /// An object or an array: `open`, then entries separated by commas, each read by `entry` (given its
    /// index), then `close`. `false` for `null`; any other value is a type mismatch at `path`.
    private mutating func container(
        _ open: UInt8,
        _ close: UInt8,
        at path: () -> String,
        _ entry: (inout JSONReader, Int) throws -> Void
    ) throws -> Bool {
        guard try self.peek() == open else {
            try self.nullOrMismatch(at: path)
            return false
        }
        try self.enter()
        self.index += 1
        if try self.peek() == close {
            self.index += 1
            self.depth -= 1
            return true
        }
        var count = 0
        while true {
            try entry(&self, count)
            count += 1
            switch try self.peek() {
            case UInt8(ascii: ","): self.index += 1
            case close:
                self.index += 1
                self.depth -= 1
                return true
            default: throw Failure.syntax
            }
        }
    }

    /// Moves past a value that is not of the type asked for: `null` (nothing there), or anything else,
    /// recorded as a type mismatch at `path` (the first one wins) and skipped, which must still be valid.
    private mutating func nullOrMismatch(at path: () -> String) throws {
        if try self.peek() == UInt8(ascii: "n") {
            try self.literal("null")
        } else {
            self.mismatch(at: path())
            try self.skip()
        }
    }

    private mutating func enter() throws {
        self.depth += 1
        guard self.depth <= Self.maxDepth else { throw Failure.syntax }
    }

    private mutating func skipWhitespace() {
        while self.index < self.bytes.count {
            switch self.bytes[self.index] {
            case 0x20, 0x09, 0x0A, 0x0D: self.index += 1
            default: return
            }
        }
    }

    /// The next byte after whitespace, not consumed; the end of the document is a syntax error here.
    private mutating func peek() throws -> UInt8 {
        self.skipWhitespace()
        guard self.index < self.bytes.count else { throw Failure.syntax }
        return self.bytes[self.index]
    }

    private mutating func literal(_ word: StaticString) throws {
        let length = word.utf8CodeUnitCount
        guard self.bytes.count - self.index >= length,
            memcmp(self.bytes.baseAddress! + self.index, word.utf8Start, length) == 0
        else { throw Failure.syntax }
        self.index += length
    }

    /// Moves past a string, checking its escapes; returns its contents between the quotes. Control
    /// characters must be escaped. UTF-8 is checked only in strings that are read, as `JSONDecoder` does.
    private mutating func scanString() throws -> Key {
        self.index += 1  // the opening quote
        let start = self.index
        var escaped = false
        while true {
            // Eight bytes at a time through the plain part of the string (most of a payload's bytes).
            while self.index + 8 <= self.bytes.count {
                let word = UnsafeRawPointer(self.bytes.baseAddress! + self.index).loadUnaligned(as: UInt64.self)
                guard !Self.mayEndPlainText(word) else { break }
                self.index += 8
            }
            guard self.index < self.bytes.count else { break }
            let byte = self.bytes[self.index]
            switch byte {
            case UInt8(ascii: "\""):
                let contents = UnsafeBufferPointer(rebasing: self.bytes[start..<self.index])
                self.index += 1
                return Key(bytes: contents, escaped: escaped)
            case UInt8(ascii: "\\"):
                escaped = true
                guard self.index + 1 < self.bytes.count else { throw Failure.syntax }
                switch self.bytes[self.index + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    self.index += 2
                case UInt8(ascii: "u"):
                    guard self.index + 5 < self.bytes.count,
                        (2...5).allSatisfy({ Self.hexValue(self.bytes[self.index + $0]) != nil })
                    else { throw Failure.syntax }
                    self.index += 6
                default: throw Failure.syntax
                }
            case 0x00..<0x20: throw Failure.syntax
            default: self.index += 1
            }
        }
        throw Failure.syntax
    }

    /// Whether any of the eight bytes in `word` is a quote, a backslash or a control character: the bytes
    /// at which a string scan must stop and look (bit tricks from "Bit Twiddling Hacks", exact as a yes/no).
    private static func mayEndPlainText(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highBits: UInt64 = 0x8080_8080_8080_8080
        func hasZeroByte(_ value: UInt64) -> Bool { (value &- ones) & ~value & highBits != 0 }
        let hasControl = (word &- ones &* 0x20) & ~word & highBits != 0
        return hasControl || hasZeroByte(word ^ (ones &* 0x22)) || hasZeroByte(word ^ (ones &* 0x5C))
    }

    /// `-? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?`; whatever follows is the caller's to check.
    private mutating func scanNumber() throws {
        func digits(_ reader: inout JSONReader) throws {
            let start = reader.index
            while reader.index < reader.bytes.count, (0x30...0x39).contains(reader.bytes[reader.index]) {
                reader.index += 1
            }
            guard reader.index > start else { throw Failure.syntax }
        }
        if self.bytes[self.index] == UInt8(ascii: "-") { self.index += 1 }
        guard self.index < self.bytes.count else { throw Failure.syntax }
        if self.bytes[self.index] == UInt8(ascii: "0") {
            self.index += 1
        } else {
            try digits(&self)
        }
        if self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: ".") {
            self.index += 1
            try digits(&self)
        }
        if self.index < self.bytes.count, self.bytes[self.index] | 0x20 == UInt8(ascii: "e") {
            self.index += 1
            if self.index < self.bytes.count,
                self.bytes[self.index] == UInt8(ascii: "+") || self.bytes[self.index] == UInt8(ascii: "-")
            {
                self.index += 1
            }
            try digits(&self)
        }
    }

    private static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case 0x30...0x39: UInt32(byte - 0x30)
        case 0x41...0x46: UInt32(byte - 0x41 + 10)
        case 0x61...0x66: UInt32(byte - 0x61 + 10)
        default: nil
        }
    }

    /// The text of a string's contents (between the quotes, escapes already checked by `scanString`).
    /// An escaped surrogate must be half of a pair, and the text must be valid UTF-8.
    fileprivate static func unescape(_ contents: UnsafeBufferPointer<UInt8>) throws(Failure) -> String {
        var utf8: [UInt8] = []
        utf8.reserveCapacity(contents.count)
        var index = 0
        func unit(at index: Int) -> UInt32 {
            (1...4).reduce(0) { $0 << 4 | Self.hexValue(contents[index + $1])! }
        }
        while index < contents.count {
            let byte = contents[index]
            guard byte == UInt8(ascii: "\\") else {
                utf8.append(byte)
                index += 1
                continue
            }
            let escape = contents[index + 1]
            index += 2
            switch escape {
            case UInt8(ascii: "b"): utf8.append(0x08)
            case UInt8(ascii: "f"): utf8.append(0x0C)
            case UInt8(ascii: "n"): utf8.append(0x0A)
            case UInt8(ascii: "r"): utf8.append(0x0D)
            case UInt8(ascii: "t"): utf8.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = unit(at: index - 1)
                index += 4
                if (0xD800...0xDBFF).contains(scalar) {
                    guard index + 5 < contents.count, contents[index] == UInt8(ascii: "\\"),
                        contents[index + 1] == UInt8(ascii: "u")
                    else { throw .syntax }
                    let low = unit(at: index + 1)
                    guard (0xDC00...0xDFFF).contains(low) else { throw .syntax }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    index += 6
                }
                guard let character = Unicode.Scalar(scalar) else { throw .syntax }
                utf8.append(contentsOf: UTF8.encode(character)!)
            default: utf8.append(escape)  // " \ /
            }
        }
        guard let text = String(validating: utf8, as: UTF8.self) else { throw .syntax }
        return text
    }
}
