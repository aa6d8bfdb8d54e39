import Foundation
import PushRelayFuzzTargets
import Testing

/// Every input a fuzzer once crashed on (`Fuzz/regressions/<target>/`) and every checked-in seed
/// (`Fuzz/seeds/<target>/`), run through the same fuzz target on each `swift test`.
struct FuzzRegressionTests {
    static let fuzz = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fuzz")

    static func inputs(_ folder: String) -> [(target: String, file: String)] {
        let root = Self.fuzz.appendingPathComponent(folder).path
        let targets = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return targets.sorted().flatMap { target in
            ((try? FileManager.default.contentsOfDirectory(atPath: root + "/" + target)) ?? []).sorted().map {
                (target, root + "/" + target + "/" + $0)
            }
        }
    }

    @Test func everyKeptInputRunsThroughItsTarget() throws {
        let inputs = Self.inputs("regressions") + Self.inputs("seeds")
        #expect(!inputs.isEmpty)
        for (name, file) in inputs {
            let target = try #require(FuzzTarget.named(name), "no fuzz target named \(name)")
            target.run(Array(try Data(contentsOf: URL(fileURLWithPath: file))))
        }
    }

    /// `Fuzz/run.sh` lists the targets it runs by default; it must list them all.
    @Test func runScriptNamesEveryTarget() throws {
        let script = try String(contentsOf: Self.fuzz.appendingPathComponent("run.sh"), encoding: .utf8)
        for target in FuzzTarget.all {
            #expect(script.contains(" " + target.name) || script.contains("(" + target.name), "\(target.name)")
        }
    }
}
