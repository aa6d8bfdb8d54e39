/// The `Encoder` side of ``WorkPayloadJSON``: containers that write into slots.
extension WorkPayloadJSON {
    struct SlotEncoder: Encoder {
        let slot: Slot
        var codingPath: [any CodingKey] = []
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            KeyedEncodingContainer(Keyed(node: self.slot.object, codingPath: self.codingPath))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            Unkeyed(node: self.slot.array, codingPath: self.codingPath)
        }

        func singleValueContainer() -> any SingleValueEncodingContainer {
            Single(slot: self.slot, codingPath: self.codingPath)
        }
    }

    struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let node: ObjectNode
        var codingPath: [any CodingKey]

        mutating func encodeNil(forKey key: Key) throws { self.node.members[key.stringValue] = .null }

        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            self.node.members[key.stringValue] = try Slot.encoding(value, codingPath: self.codingPath + [key])
        }

        // The types synthesized `Codable` passes most, taken without the generic path's dynamic casts.
        mutating func encode(_ value: String, forKey key: Key) throws {
            self.node.members[key.stringValue] = try .plain(value)
        }

        mutating func encode(_ value: Bool, forKey key: Key) throws {
            self.node.members[key.stringValue] = .bool(value)
        }

        mutating func encode(_ value: Int, forKey key: Key) throws {
            self.node.members[key.stringValue] = .number(String(value))
        }

        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy keyType: NestedKey.Type,
            forKey key: Key
        ) -> KeyedEncodingContainer<NestedKey> {
            let slot = Slot()
            let container = KeyedEncodingContainer(
                Keyed<NestedKey>(node: slot.object, codingPath: self.codingPath + [key])
            )
            self.node.members[key.stringValue] = slot.value
            return container
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            let slot = Slot()
            let container = Unkeyed(node: slot.array, codingPath: self.codingPath + [key])
            self.node.members[key.stringValue] = slot.value
            return container
        }

        mutating func superEncoder() -> any Encoder { self.superEncoder(named: "super") }

        mutating func superEncoder(forKey key: Key) -> any Encoder { self.superEncoder(named: key.stringValue) }

        private func superEncoder(named name: String) -> any Encoder {
            // The slot's value is read once its encoder is done; an object node is shared, so taken now.
            let slot = Slot()
            let object = slot.object
            self.node.members[name] = .object(object)
            return SlotEncoder(slot: slot, codingPath: self.codingPath)
        }
    }

    struct Unkeyed: UnkeyedEncodingContainer {
        let node: ArrayNode
        var codingPath: [any CodingKey]
        var count: Int { self.node.items.count }

        mutating func encodeNil() throws { self.node.items.append(.null) }

        mutating func encode<T: Encodable>(_ value: T) throws {
            self.node.items.append(try Slot.encoding(value, codingPath: self.codingPath))
        }

        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy keyType: NestedKey.Type
        ) -> KeyedEncodingContainer<NestedKey> {
            let slot = Slot()
            let container = KeyedEncodingContainer(Keyed<NestedKey>(node: slot.object, codingPath: self.codingPath))
            self.node.items.append(slot.value!)
            return container
        }

        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            let slot = Slot()
            let container = Unkeyed(node: slot.array, codingPath: self.codingPath)
            self.node.items.append(slot.value!)
            return container
        }

        mutating func superEncoder() -> any Encoder {
            let slot = Slot()
            self.node.items.append(.object(slot.object))
            return SlotEncoder(slot: slot, codingPath: self.codingPath)
        }
    }

    struct Single: SingleValueEncodingContainer {
        let slot: Slot
        var codingPath: [any CodingKey]

        mutating func encodeNil() throws { self.slot.value = .null }

        mutating func encode<T: Encodable>(_ value: T) throws {
            self.slot.value = try Slot.encoding(value, codingPath: self.codingPath)
        }
    }
}
