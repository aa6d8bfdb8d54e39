import Foundation
import PushRelayFuzzTargets

/// `pushrelay-fuzz TARGET FILE...` runs files through a target once (to reproduce a crash);
/// `pushrelay-fuzz` alone lists the targets. Built by `Fuzz/run.sh` with `-sanitize=fuzzer` and
/// `-DFUZZING`, it hands its arguments to libFuzzer's driver instead, for the target named by
/// `PUSHRELAY_FUZZ_TARGET`.
@main
enum FuzzEntry {
    static func main() {
        #if FUZZING
        let name = ProcessInfo.processInfo.environment["PUSHRELAY_FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget.named(name) else {
            fatalError("PUSHRELAY_FUZZ_TARGET must be one of: " + FuzzTarget.all.map(\.name).joined(separator: ", "))
        }
        fuzzed = target
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(
            LLVMFuzzerRunDriver(
                &argc,
                &argv,
                { data, size in
                    fuzzed?.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
                    return 0
                }
            )
        )
        #else
        let arguments = Array(CommandLine.arguments.dropFirst())
        guard let name = arguments.first, let target = FuzzTarget.named(name) else {
            print(FuzzTarget.all.map(\.name).joined(separator: "\n"))
            return
        }
        for file in arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: file) else {
                FileHandle.standardError.write(Data("\(file): cannot read\n".utf8))
                exit(1)
            }
            target.run(Array(data))
            print("\(file): ok")
        }
        #endif
    }
}

#if FUZZING
/// The target the C callback below runs; set once before the driver starts.
nonisolated(unsafe) private var fuzzed: FuzzTarget?

/// libFuzzer's driver, from the runtime that `-sanitize=fuzzer` links.
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt
#endif
