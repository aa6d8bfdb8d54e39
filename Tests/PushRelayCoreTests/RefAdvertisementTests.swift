import Foundation
import Testing

@testable import PushRelayCore

/// The reader of Git's smart-HTTP ref advertisement, on what a server may send that is not one. (What a
/// real Git server sends is read in `RefAdvertisementGitTests`, against `git ls-remote`.)
struct RefAdvertisementTests {
    static let sha = String(repeating: "a", count: 40)

    static func pkt(_ text: String) -> String {
        String(format: "%04x", text.utf8.count + 4) + text
    }

    static func advertisement(_ lines: [String]) -> [UInt8] {
        Array((Self.pkt("# service=git-upload-pack\n") + "0000" + lines.map(Self.pkt).joined() + "0000").utf8)
    }

    @Test func branchesAndTagsAreTheHeadsAndPeeledLinesHEADAndReviewRefsAreNot() throws {
        let tag = String(repeating: "b", count: 40)
        let bytes = Self.advertisement([
            "\(Self.sha) HEAD\u{0}multi_ack symref=HEAD:refs/heads/main\n", "\(Self.sha) refs/heads/main\n",
            "\(tag) refs/tags/v1\n", "\(Self.sha) refs/tags/v1^{}\n", "\(Self.sha) refs/pull/7/head\n",
        ])
        let read = try RefAdvertisement(parsing: bytes)
        #expect(read.refs.count == 5)
        #expect(read.heads == ["refs/heads/main": Self.sha, "refs/tags/v1": tag])
    }

    @Test func anEmptyRepositoryHasNoRefs() throws {
        let zeros = String(repeating: "0", count: 40)
        let read = try RefAdvertisement(parsing: Self.advertisement(["\(zeros) capabilities^{}\u{0}report-status\n"]))
        #expect(read.refs.isEmpty)
    }

    @Test func whatIsNotAnAdvertisementIsRefusedWithTheReason() {
        let cases: [([UInt8], String)] = [
            (Array("\(Self.sha)\trefs/heads/main\n".utf8), "not a smart-HTTP ref advertisement (truncated pkt-line)"),
            (Array("<html>login</html>".utf8), "not a smart-HTTP ref advertisement (not pkt-line framed)"),
            (Array(Self.pkt("# service=git-receive-pack\n").utf8), "not a smart-HTTP ref advertisement"),
            (Array(Self.advertisement(["\(Self.sha) refs/heads/main\n"]).dropLast(4)), "truncated: no closing flush"),
            (Array(Self.advertisement(["\(Self.sha) refs/heads/main\n"]).dropLast(10)), "truncated pkt-line"),
            (Self.advertisement(["xyz refs/heads/main\n"]), "'xyz' is not an object id"),
            (Self.advertisement(["\(Self.sha) refs/heads/a\u{1}b\n"]), "control characters"),
            (Self.advertisement(["\(Self.sha)\n"]), "without an object and a name"),
            (
                Self.advertisement(["\(Self.sha) refs/heads/main\n"]) + Array("0000".utf8),
                "bytes after the closing flush"
            ),
            (Array("0003".utf8), "unexpected pkt-line length 3"),
            (Array((Self.pkt("# service=git-upload-pack\n") + "0000" + "0g00").utf8), "not pkt-line framed"),
            ([UInt8](repeating: 0x30, count: RefAdvertisement.maxBytes + 1), "longer than"),
        ]
        for (bytes, reason) in cases {
            #expect(throws: RefAdvertisementError.self) { try RefAdvertisement(parsing: bytes) }
            do {
                _ = try RefAdvertisement(parsing: bytes)
            } catch {
                #expect(error.reason.contains(reason), "\(error.reason) / \(reason)")
            }
        }
    }
}
