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
}
