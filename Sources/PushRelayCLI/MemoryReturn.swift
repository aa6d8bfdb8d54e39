#if canImport(Glibc)
import Glibc
#endif

/// Makes large allocations (request bodies) mappings of their own, unmapped when freed. By default glibc
/// raises its mmap threshold after the first large block is freed, and then serves such blocks from a
/// heap it seldom gives back: an idle process kept a burst's 100-170 MiB.
func returnLargeAllocationsToTheSystem() {
    #if canImport(Glibc)
    // `mallopt` is in <malloc.h>, which the Glibc module does not export: looked up by name instead.
    typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
    guard let symbol = dlsym(nil, "mallopt") else { return }
    let mmapThreshold: Int32 = -3  // M_MMAP_THRESHOLD
    _ = unsafeBitCast(symbol, to: Mallopt.self)(mmapThreshold, 256 << 10)
    #endif
}
