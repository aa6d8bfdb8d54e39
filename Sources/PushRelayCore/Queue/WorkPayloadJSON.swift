import Foundation

/// Encodes a work payload to the very bytes `JSONEncoder` writes with `.sortedKeys` and
/// `.withoutEscapingSlashes`, for the shapes payloads have: objects, arrays, integers, booleans, `null` and
/// strings that need no escape. Anything else (a `Double`, a `Date`, a string with a quote or a control
/// character) makes it give up, and the caller asks `JSONEncoder`.
///
/// Each delivery's work items are encoded while the webhook waits, and Foundation's encoder cost more than
/// the item's SQL. The bytes must be the same as before: a redelivery queues one item per distinct payload,
/// compared by its bytes with items already stored.
enum WorkPayloadJSON {
    /// The payload's JSON, or `nil` when it has a value this encoder leaves to `JSONEncoder`.
    static func encode(_ value: some Encodable) -> [UInt8]? {
        let slot = Slot()
        do {
            try value.encode(to: SlotEncoder(slot: slot))
        } catch {
            return nil
        }
        var out: [UInt8] = []
        out.reserveCapacity(256)
        (slot.value ?? .object(ObjectNode())).write(to: &out)
        return out
    }

    /// A value this encoder cannot write as `JSONEncoder` would.
    struct Unsupported: Error {}

    enum Value {
        case string(String)
        case number(String)
        case bool(Bool)
        case null
        case object(ObjectNode)
        case array(ArrayNode)

        func write(to out: inout [UInt8]) {
            switch self {
            case .string(let text):
                out.append(UInt8(ascii: "\""))
                out.append(contentsOf: text.utf8)
                out.append(UInt8(ascii: "\""))
            case .number(let digits): out.append(contentsOf: digits.utf8)
            case .bool(let value): out.append(contentsOf: (value ? "true" : "false").utf8)
            case .null: out.append(contentsOf: "null".utf8)
            case .object(let node):
                out.append(UInt8(ascii: "{"))
                // Byte order of the keys, as Foundation's `.sortedKeys` (keys are ASCII coding keys).
                for (index, member) in node.members.sorted(by: { $0.key < $1.key }).enumerated() {
                    if index > 0 { out.append(UInt8(ascii: ",")) }
                    Value.string(member.key).write(to: &out)
                    out.append(UInt8(ascii: ":"))
                    member.value.write(to: &out)
                }
                out.append(UInt8(ascii: "}"))
            case .array(let node):
                out.append(UInt8(ascii: "["))
                for (index, item) in node.items.enumerated() {
                    if index > 0 { out.append(UInt8(ascii: ",")) }
                    item.write(to: &out)
                }
                out.append(UInt8(ascii: "]"))
            }
        }

        /// A string written as it is, which `JSONEncoder` also writes as it is.
        static func plain(_ text: String) throws -> Value {
            guard !text.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") })
            else { throw Unsupported() }
            return .string(text)
        }

        static func scalar(_ value: some Encodable) throws -> Value? {
            switch value {
            case let text as String: try .plain(text)
            case let flag as Bool: .bool(flag)
            case let number as Int: .number(String(number))
            // Every primitive must be caught here: its `encode(to:)` asks a single-value container to
            // encode itself again, which would come straight back.
            case let number as any BinaryInteger: .number(String(describing: number))
            case is any FloatingPoint: throw Unsupported()
            default: nil
            }
        }
    }

    final class ObjectNode {
        var members: [String: Value] = [:]
    }

    final class ArrayNode {
        var items: [Value] = []
    }

    /// Where one value goes: the top level, a member or an item.
    final class Slot {
        var value: Value?

        var object: ObjectNode {
            if case .object(let node) = self.value { return node }
            let node = ObjectNode()
            self.value = .object(node)
            return node
        }

        var array: ArrayNode {
            if case .array(let node) = self.value { return node }
            let node = ArrayNode()
            self.value = .array(node)
            return node
        }

        /// `value` encoded into a slot of its own; types `JSONEncoder` writes specially are refused.
        static func encoding(_ value: some Encodable, codingPath: [any CodingKey]) throws -> Value {
            if let scalar = try Value.scalar(value) { return scalar }
            if value is any EncodedSpecially { throw Unsupported() }
            let slot = Slot()
            try value.encode(to: SlotEncoder(slot: slot, codingPath: codingPath))
            return slot.value ?? .object(ObjectNode())
        }
    }
}

/// The types `JSONEncoder` writes its own way rather than through their `encode(to:)`: left to it.
private protocol EncodedSpecially {}

extension Date: EncodedSpecially {}
extension Data: EncodedSpecially {}
extension URL: EncodedSpecially {}
extension Decimal: EncodedSpecially {}
extension Dictionary: EncodedSpecially {}
