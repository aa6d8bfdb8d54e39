import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import PushRelayCore

/// Sends `replay --to` requests to a listener: at most `concurrency` at once, started no faster than `rate`
/// per second, each answer read back (status code and PushRelay's JSON answer).
struct ReplaySender {
    var baseURL: String
    var concurrency: Int
    /// Requests per second; `nil` for as fast as `concurrency` allows.
    var rate: Double?
    var timeout: TimeAmount = .seconds(30)

    /// Sends each request and calls `done` with its answer, in the order the answers arrive.
    func send(
        _ requests: [(file: String, request: ReplayRequest)],
        done: (String, ReplayRequest, ReplayAnswer) -> Void
    ) async {
        let pacer = Pacer(interval: self.rate.map { .nanoseconds(Int64(1e9 / $0)) })
        await withTaskGroup(of: (String, ReplayRequest, ReplayAnswer).self) { group in
            var next = 0
            func startNext() {
                guard next < requests.count else { return }
                let (file, request) = requests[next]
                next += 1
                group.addTask {
                    await pacer.wait()
                    return (file, request, await self.send(request))
                }
            }
            for _ in 0..<max(1, self.concurrency) { startNext() }
            for await (file, request, answer) in group {
                done(file, request, answer)
                startNext()
            }
        }
    }

    private func send(_ replay: ReplayRequest) async -> ReplayAnswer {
        let base = self.baseURL.hasSuffix("/") ? String(self.baseURL.dropLast()) : self.baseURL
        var request = HTTPClientRequest(url: base + replay.path)
        request.method = .POST
        for field in replay.request.headers.fields { request.headers.add(name: field.name, value: field.value) }
        if request.headers["Content-Type"].isEmpty {
            request.headers.add(name: "Content-Type", value: "application/json")
        }
        request.headers.replaceOrAdd(name: "User-Agent", value: "pushrelay-replay/\(PushRelayVersion.current)")
        request.body = .bytes(ByteBuffer(bytes: replay.request.body))
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: self.timeout)
            let body = try await response.body.collect(upTo: 64 * 1024)
            return ReplayAnswer(httpStatus: Int(response.status.code), body: Array(buffer: body))
        } catch {
            return ReplayAnswer(failure: "\(error)")
        }
    }
}

/// Spaces out the start of requests: each caller gets the next free slot `interval` after the previous one.
private actor Pacer {
    let interval: Duration?
    var next = ContinuousClock.now

    init(interval: Duration?) {
        self.interval = interval
    }

    func wait() async {
        guard let interval else { return }
        let slot = max(self.next, .now)
        self.next = slot + interval
        try? await Task.sleep(until: slot)
    }
}

/// A listener's answer to one replayed delivery, or why there was none.
struct ReplayAnswer: Sendable {
    /// `nil` when no answer came (connection refused, timeout).
    var httpStatus: Int?
    /// PushRelay's `status` (queued, ignored, duplicate, error), or `no-answer`.
    var status: String
    var reason: String?
    var jobs: Int?

    init(httpStatus: Int, body: [UInt8]) {
        struct Body: Decodable {
            var status: String?
            var reason: String?
            var jobs: Int?
        }
        let decoded = try? JSONDecoder().decode(Body.self, from: Data(body))
        self.httpStatus = httpStatus
        self.status = decoded?.status ?? "-"
        self.reason = decoded?.reason ?? (decoded == nil ? String(decoding: body.prefix(200), as: UTF8.self) : nil)
        self.jobs = decoded?.jobs
    }

    init(failure: String) {
        self.httpStatus = nil
        self.status = "no-answer"
        self.reason = failure
    }

    var succeeded: Bool { self.httpStatus.map { (200..<300).contains($0) } ?? false }

    /// `202 queued`, `401 error`, `no answer`: how the summary counts it.
    var label: String { self.httpStatus.map { "\($0) \(self.status)" } ?? "no answer" }
}
