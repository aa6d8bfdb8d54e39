import Foundation

/// This process's name in the queue's claims: host and pid for the operator reading `pg_stat_activity` or
/// the jobs table, and a random part, since a pid is reused (a restarted container is often pid 1 again).
package enum QueueOwner {
    package static func make() -> String {
        let random = (0..<4).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        return "\(ProcessInfo.processInfo.hostName)/\(ProcessInfo.processInfo.processIdentifier)/\(random)"
    }
}
