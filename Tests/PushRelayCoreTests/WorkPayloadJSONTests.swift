import Foundation
import Testing

@testable import PushRelayCore

/// The payload encoder writes what `JSONEncoder` writes, byte for byte, or leaves the payload to it: items
/// already stored are compared with new ones by their bytes.
struct WorkPayloadJSONTests {
    private static func foundation(_ value: some Encodable) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    /// Text a payload may carry: names, URLs, non-ASCII, DEL, and now and then what needs an escape.
    private static func text(_ random: inout SplitMix64) -> String {
        let common = ["ws-prod", "main", "https://tk.example.com/a", "Ünï", "\u{7F}", "a b", "x", "1"]
        let escaped = ["\"", "\\", "\n", "\u{1}"]
        return (0..<Int(random.next() % 4)).map { _ in
            random.next() % 64 == 0
                ? escaped[Int(random.next() % UInt64(escaped.count))]
                : common[Int(random.next() % UInt64(common.count))]
        }.joined()
    }

    @Test func theAcceptPathsPayloadsAreFoundationsBytes() throws {
        var random = SplitMix64(seed: 0x7A1)
        var fast: [String: Int] = [:]
        for round in 0..<2_000 {
            var spec = JobSpec(
                organization: Self.text(&random),
                workspace: Self.text(&random),
                template: Self.text(&random),
                overrideBranch: Self.text(&random),
                commitID: Self.text(&random),
                via: "Github"
            )
            if round % 3 == 0 {
                spec.commitToResolve = AbbreviatedCommit(host: Self.text(&random), repository: "a/b", hash: "abc1234")
            }
            var target = StatusTarget(
                host: Self.text(&random),
                repository: Self.text(&random),
                commit: Self.text(&random),
                context: Self.text(&random),
                organization: "org",
                workspace: Self.text(&random),
                uiURL: Self.text(&random)
            )
            if round % 2 == 0 {
                target.summary = SummaryMembership(context: Self.text(&random), routes: [Self.text(&random), "b"])
            }
            let order = TerrakubeJobOrder(spec, status: round % 4 == 0 ? nil : target)
            let orders = [order.work, target.post(.queued)]
            #expect(orders[0].payload == (try Self.foundation(order)))
            for work in orders {
                let bytes = work.payload
                #expect(!bytes.isEmpty)
                if let written = WorkPayloadJSON.encode(try Self.decodedAgain(work)) {
                    fast[work.kind == WorkType.createTerrakubeJob.kind ? "job" : "status", default: 0] += 1
                    #expect(written == bytes)
                }
            }
        }
        // Most of each kind took the fast way, which is the point of it.
        #expect(fast.count == 2 && fast.values.allSatisfy { $0 > 1_000 }, "\(fast)")
    }

    /// Shapes no accept-path payload has yet: each is written as Foundation does, or left to it.
    @Test func otherShapesAreWrittenAlikeOrLeftToFoundation() throws {
        struct Sample: Codable {
            enum Kind: String, Codable { case a, b }
            enum Choice: Codable {
                case one(String)
                case two(count: Int, flag: Bool)
            }
            var text: String
            var number: Int
            var negative: Int64
            var small: UInt8
            var short: Int16
            var flag: Bool
            var list: [String]
            var holes: [String?]
            var nested: [[Int]]
            var kind: Kind
            var choice: Choice
            var absent: String?
            var fraction: Double?
            var single: Float?
            var table: [String: Int]?
            var when: Date?
        }
        let plain = Sample(
            text: "a/b",
            number: 42,
            negative: -7,
            small: 255,
            short: -300,
            flag: true,
            list: ["x", "y"],
            holes: ["x", nil],
            nested: [[1], []],
            kind: .b,
            choice: .two(count: 3, flag: false),
            absent: nil,
            fraction: nil,
            table: nil,
            when: nil
        )
        #expect(WorkPayloadJSON.encode(plain) == (try Self.foundation(plain)))
        var one = plain
        one.choice = .one("z")
        #expect(WorkPayloadJSON.encode(one) == (try Self.foundation(one)))
        for different in [
            { (sample: inout Sample) in sample.fraction = 1.5 },
            { $0.single = 0.25 },
            { $0.table = ["k": 1] },
            { $0.when = Date(timeIntervalSince1970: 0) },
            { $0.text = "quote\"" },
        ] {
            var sample = plain
            different(&sample)
            #expect(WorkPayloadJSON.encode(sample) == nil)
        }
    }

    /// The payload as its handler reads it, so that the encoder is tried on the real type.
    private static func decodedAgain(_ work: NewWork) throws -> any Encodable {
        switch work.kind {
        case WorkType.createTerrakubeJob.kind: try WorkType.createTerrakubeJob.payload(work.payload)
        default: try WorkType<StatusPostWork>(work.kind).payload(work.payload)
        }
    }
}
