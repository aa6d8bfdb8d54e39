import Foundation
import NIOCore
import PostgresNIO
import PushRelayCore

/// Row shapes of the schema in ``PostgresMigrations``, read back into Core's types by column name.
enum PostgresRows {
    /// An item with its delivery's provider and id, for a `RETURNING` or a `SELECT` over `pushrelay.work w`.
    static let workColumns = """
        w.id, w.fence, w.kind, w.payload, w.attempts, w.queued_at, w.state, w.last_error, w.result, w.parent,
        w.uncertain, w.uncertain_since,
        (SELECT provider FROM pushrelay.deliveries d WHERE d.id = w.delivery) AS provider,
        (SELECT delivery_id FROM pushrelay.deliveries d WHERE d.id = w.delivery) AS delivery_id
        """

    /// A row a claim returned.
    static func claimedWork(from row: PostgresRow) throws -> ClaimedWork {
        let cells = row.makeRandomAccess()
        // No provider: work no delivery brought.
        let provider = try cells["provider"].decode(String?.self).flatMap(ProviderKind.init(rawValue:))
        // `attempts` counts the claim that returned this row; the dispatcher counts the attempts before it.
        let attempts = Int(try cells["attempts"].decode(Int32.self)) - 1
        return ClaimedWork(
            id: try cells["id"].decode(Int64.self),
            fence: try cells["fence"].decode(Int64.self),
            kind: WorkKind(rawValue: try cells["kind"].decode(String.self)),
            payload: Array(buffer: try cells["payload"].decode(ByteBuffer.self)),
            attempts: attempts,
            provider: provider,
            deliveryID: try cells["delivery_id"].decode(String?.self) ?? "",
            queuedAt: try cells["queued_at"].decode(Date.self),
            uncertain: try cells["uncertain"].decode(Bool.self),
            uncertainSince: try cells["uncertain_since"].decode(Date?.self),
            result: try cells["result"].decode(String?.self)
        )
    }

    static func workRecord(from row: PostgresRow, history: [AttemptRecord]) throws -> WorkRecord {
        let cells = row.makeRandomAccess()
        guard let state = WorkState(rawValue: try cells["state"].decode(String.self)) else {
            throw StoreCorruption(column: "state")
        }
        return WorkRecord(
            id: try cells["id"].decode(Int64.self),
            parent: try cells["parent"].decode(Int64?.self),
            kind: WorkKind(rawValue: try cells["kind"].decode(String.self)),
            payload: Array(buffer: try cells["payload"].decode(ByteBuffer.self)),
            state: state,
            attempts: Int(try cells["attempts"].decode(Int32.self)),
            lastError: try cells["last_error"].decode(String?.self),
            result: try cells["result"].decode(String?.self),
            history: history
        )
    }
}
