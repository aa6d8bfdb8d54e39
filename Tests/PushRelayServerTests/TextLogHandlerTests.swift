import Foundation
import Logging
import PushRelayServer
import Synchronization
import Testing

struct TextLogHandlerTests {
    @Test func oneEventIsOneLineWhateverItsMessageAndMetadataHold() {
        let lines = Mutex<[String]>([])
        var logger = Logger(label: "pushrelay") { label in
            TextLogHandler(label: label) { line in lines.withLock { $0.append(line) } }
        }
        logger[metadataKey: "relay.fixed"] = "a\u{1B}[2Jb"
        logger.info("Delivery\nforged", metadata: ["relay.ref": "x\n2026-01-01 info pushrelay: forged\u{9B}31m"])
        let written = lines.withLock { $0 }
        #expect(written.count == 1)
        let line = written[0]
        #expect(line.hasSuffix(#"] Delivery\nforged"# + "\n"))
        #expect(line.contains(#" relay.fixed=a\u{1B}[2Jb relay.ref=x\n2026-01-01 info pushrelay: forged\u{9B}31m ["#))
        #expect(line.utf8.dropLast().allSatisfy { $0 >= 0x20 && $0 != 0x7F })
    }

    /// The hand-written time is the one Foundation writes, zero-padded, in UTC.
    @Test func theLinesTimeIsFoundationsISO8601() {
        #expect(
            LogLine.timestamp(year: 2026, month: 1, day: 2, hour: 3, minute: 4, second: 5) == "2026-01-02T03:04:05Z"
        )
        let before = Date().formatted(.iso8601)
        let written = LogLine.timestamp()
        let after = Date().formatted(.iso8601)
        #expect(written == before || written == after)
    }

    /// The event's metadata wins over the handler's, both are kept, and the fields come sorted by key.
    @Test func theEventsMetadataIsMergedOverTheHandlers() {
        func pairs(_ handler: Logger.Metadata, _ event: Logger.Metadata?) -> [String] {
            LogLine.fields(handler, event).map { "\($0.key)=\($0.value)" }
        }
        #expect(pairs(["b": "2", "a": "1"], ["c": "4", "b": "3"]) == ["a=1", "b=3", "c=4"])
        #expect(pairs(["a": "1"], nil) == ["a=1"])
        #expect(pairs([:], ["c": "4"]) == ["c=4"])
    }
}
