import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// Terrakube's job API on loopback, answering as its OpenAPI spec says (status codes, content type,
/// JSON:API bodies, `errors[0].detail`), recording every request, and failing on demand.
package final class TerrakubeStandIn: Sendable {
    /// A request as received.
    package struct Recorded: Sendable {
        package var method: String
        package var path: String
        package var headers: [String: String]
        package var body: [UInt8]
        /// The status the stand-in answered with.
        package var status = 0

        package var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(self.body))) as? [String: Any]
        }
    }

    /// What the next job creation should meet instead of a `201`.
    package enum Fault: Sendable {
        /// Answer with this status and a JSON:API error; `retryAfter` sets the header.
        case status(Int, retryAfter: String? = nil)
        /// Wait this long before answering normally.
        case delay(Duration)
        /// Create the job, then wait this long before answering: the caller may give up (or die) after
        /// Terrakube has acted, which is the window that must not lead to a second job.
        case createThenDelay(Duration)
        /// Create the job, then hold the `201` until the test opens `gate`.
        case createThenHold(Gate)
        /// Hang this long, then answer 503 without creating anything.
        case hangThenFail(Duration)
        /// Hold the request until the test opens `gate`, then answer 503 without creating anything.
        case holdThenFail(Gate)
        /// Create the job and send the `201` head at once, then its body one byte per `interval`: a
        /// deadline that ends with the head would wait for all of it.
        case createThenTrickle(Duration)
        /// Answer with this redirect status, `Location` pointing at `/elsewhere/…` on the stand-in, where
        /// any request is answered `200` with a job id (what an unrelated origin might say), and recorded.
        case redirect(Int)
    }

    /// A job the stand-in holds, as a `GET …/job?filter[job]=…` lists it.
    package struct Job: Sendable {
        package var id: Int
        package var workspace: String
        package var attributes: [String: String]
        package var createdDate: String
        /// Terrakube's state, as reads of the job see it (``script(job:_:)`` moves it on).
        package var status = "pending"
    }

    fileprivate struct State {
        var requests: [Recorded] = []
        var faults: [Fault] = []
        var jobs: [Job] = []
        /// Resource type (`organization`, `workspace`, `template`) → name → id, for lookups by name.
        var names: [String: [String: String]] = [:]
        /// Statuses the next lookups by name answer with, one each, before answering normally.
        var lookupFaults: [Int] = []
        /// How long every job creation without a fault takes.
        var creationTime: Duration = .zero
        /// Job id → the states its next reads see, one a read, the last for good.
        var scripts: [Int: [String]] = [:]
        /// Answer `400` to `filter[job]=id=in=(…)`, as a server whose filter dialect lacks `=in=` would.
        var refusesIDFilter = false
        var baseURL = ""
        /// Job id → each step's console output, in step order (``outputs(job:_:)``).
        var outputs: [Int: [String]] = [:]
        /// Who awaits job creations as they are answered (``creations()``).
        var watchers: [AsyncStream<Recorded>.Continuation] = []
    }

    /// Attributes a Terrakube job has (components.schemas.job in the OpenAPI spec); any other is a 400.
    package static let jobAttributes: Set<String> = [
        "approvalTeam", "comments", "commitId", "createdBy", "createdDate", "output", "overrideBranch", "planChanges",
        "refresh", "refreshOnly", "status", "tcl", "templateReference", "terraformPlan", "updatedBy", "updatedDate",
        "via",
    ]

    package let token: String
    private let state = Mutex(State())

    package init(token: String = "stand-in-token") {
        self.token = token
    }

    /// Every request received so far.
    package var requests: [Recorded] { self.state.withLock { $0.requests } }

    /// Job creations answered `201`.
    package var createdJobs: [Recorded] {
        self.state.withLock { state in state.requests.filter { $0.method == "POST" && $0.status == 201 } }
    }

    /// Job creation requests, whatever their answer.
    package var jobRequests: [Recorded] {
        self.state.withLock { state in state.requests.filter { $0.method == "POST" } }
    }

    /// Job creation requests as they are answered, from now on, whatever the answer: a test awaits the
    /// next one instead of polling the list.
    package func creations() -> AsyncStream<Recorded> {
        let (stream, continuation) = AsyncStream.makeStream(of: Recorded.self)
        self.state.withLock { $0.watchers.append(continuation) }
        return stream
    }

    /// Every job created, including those whose answer was delayed or never read.
    package var jobs: [Job] { self.state.withLock { $0.jobs } }

    /// Makes `name` findable as a resource of `type` (`organization`, `workspace`, `template`).
    package func define(_ type: String, name: String, id: String) {
        self.state.withLock { $0.names[type, default: [:]][name] = id }
    }

    /// Statuses the next lookups by name answer with (a 503, say), before they answer normally.
    package func failLookups(_ statuses: Int...) {
        self.state.withLock { $0.lookupFaults.append(contentsOf: statuses) }
    }

    /// Faults met by the next job creations, one each, in order.
    package func inject(_ faults: Fault...) {
        self.state.withLock { $0.faults.append(contentsOf: faults) }
    }

    /// The states job `id` goes through as it is read: each read (listed or fetched) sees the next, and
    /// the last stays.
    package func script(job id: Int, _ states: String...) {
        self.state.withLock { $0.scripts[id] = states }
    }

    /// Whether `filter[job]=id=in=(…)` is refused with a `400`.
    /// The console output of job `id`'s steps, in order: what `GET …/job/{id}?include=step` lists, each
    /// step's `output` a URL under `/tfoutput/v1/…` on the stand-in that answers it with the token.
    package func outputs(job id: Int, _ steps: String...) {
        self.state.withLock { $0.outputs[id] = steps }
    }

    package func refuseIDFilter(_ refuses: Bool = true) {
        self.state.withLock { $0.refusesIDFilter = refuses }
    }

    /// Makes every job creation without a fault take `duration` before its `201`, as a real Terrakube's
    /// does (it writes the job to its database first).
    package func takeForEachCreation(_ duration: Duration) {
        self.state.withLock { $0.creationTime = duration }
    }

    /// Runs the stand-in on `127.0.0.1` while `body` runs; `body` gets the base URL.
    /// - Parameter port: 0 picks a free port.
    package func whileRunning<T: Sendable>(
        port: Int = 0,
        _ body: @Sendable (String) async throws -> T
    ) async throws -> T {
        let ports = PortBox()
        var logger = Logger(label: "terrakube-stand-in")
        logger.logLevel = .warning
        let app = Application(
            router: self.router(),
            configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { ports.set($0.localAddress?.port ?? 0) },
            logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        return try await group.whileRunning {
            let baseURL = "http://127.0.0.1:\(await ports.port())"
            self.state.withLock { $0.baseURL = baseURL }
            return try await body(baseURL)
        }
    }

    private func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.post("/api/v1/organization/:organization/job") { request, context in
            try await self.createJob(request, context: context)
        }
        router.get("/api/v1/organization/:organization/job") { request, _ in
            self.listJobs(request)
        }
        router.get("/api/v1/organization/:organization/job/:id") { request, context in
            let id = context.parameters.get("id").flatMap { Int($0) }
            if request.uri.query?.contains("include=step") == true {
                return self.jobWithSteps(request, id: id, organization: context.parameters.get("organization") ?? "")
            }
            return self.getJob(request, id: id)
        }
        router.get("/tfoutput/v1/organization/:organization/job/:job/step/:step") { request, context in
            let (job, step) = (context.parameters.get("job").flatMap { Int($0) }, context.parameters.get("step") ?? "")
            guard request.headers[.authorization] == "Bearer \(self.token)" else {
                return Self.error(.unauthorized, "Invalid or missing token")
            }
            let outputs = self.state.withLock { state in job.flatMap { state.outputs[$0] } } ?? []
            guard let index = Int(step.split(separator: "-").last ?? ""), outputs.indices.contains(index) else {
                return Self.error(.notFound, "Step not found")
            }
            return Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(string: outputs[index])))
        }
        router.get("/api/v1/organization") { request, _ in
            self.lookUp("organization", request)
        }
        router.get("/api/v1/organization/:organization/workspace") { request, _ in
            self.lookUp("workspace", request)
        }
        router.get("/api/v1/organization/:organization/template") { request, _ in
            self.lookUp("template", request)
        }
        for method in [HTTPRequest.Method.get, .post, .put] {
            router.on("/elsewhere/**", method: method) { request, _ in
                let recorded = Recorded(
                    method: request.method.rawValue,
                    path: request.uri.path,
                    headers: [:],
                    body: [],
                    status: 200
                )
                self.state.withLock { $0.requests.append(recorded) }
                return Self.jsonAPI(.ok, ["data": ["type": "job", "id": "999"]])
            }
        }
        return router
    }

    private func createJob(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let body = Array(buffer: try await request.body.collect(upTo: 1 << 20))
        let recorded = Recorded(
            method: request.method.rawValue,
            path: request.uri.path,
            headers: Dictionary(
                request.headers.map { ($0.name.canonicalName, $0.value) },
                uniquingKeysWith: { first, _ in first }
            ),
            body: body
        )
        // Recorded on arrival, so a request whose answer is delayed (or never read) is counted too.
        let index = self.state.withLock { state -> Int in
            state.requests.append(recorded)
            return state.requests.count - 1
        }
        let response = await self.answer(recorded, organization: context.parameters.get("organization") ?? "")
        let (answered, watchers) = self.state.withLock { state in
            state.requests[index].status = Int(response.status.code)
            return (state.requests[index], state.watchers)
        }
        for watcher in watchers { watcher.yield(answered) }
        return response
    }

    private func answer(_ request: Recorded, organization: String) async -> Response {
        if request.headers["authorization"] != "Bearer \(self.token)" {
            return Self.error(.unauthorized, "Invalid or missing token")
        }
        guard request.headers["content-type"]?.hasPrefix("application/vnd.api+json") == true else {
            return Self.error(.unsupportedMediaType, "Content-Type must be application/vnd.api+json")
        }
        guard let document = request.json, let data = document["data"] as? [String: Any] else {
            return Self.error(.badRequest, "Invalid JSON:API document")
        }
        guard data["type"] as? String == "job" else {
            return Self.error(.badRequest, "Invalid type: expected job")
        }
        let attributes = data["attributes"] as? [String: Any] ?? [:]
        if let unknown = attributes.keys.sorted().first(where: { !Self.jobAttributes.contains($0) }) {
            return Self.error(.badRequest, "Unknown attribute '\(unknown)' for type 'job'")
        }
        let workspace =
            ((data["relationships"] as? [String: Any])?["workspace"] as? [String: Any])?["data"] as? [String: Any]
        guard let workspaceID = workspace?["id"] as? String, workspace?["type"] as? String == "workspace" else {
            return Self.error(.badRequest, "A job needs a workspace relationship")
        }
        let fault = self.state.withLock { state -> Fault? in state.faults.isEmpty ? nil : state.faults.removeFirst() }
        switch fault {
        case .status(let code, let retryAfter):
            var response = Self.error(HTTPResponse.Status(code: code), "Injected failure \(code)")
            if let retryAfter { response.headers[.retryAfter] = retryAfter }
            return response
        case .delay(let duration):
            try? await Task.sleep(for: duration)
            return Self.jsonAPI(.created, self.store(attributes, workspace: workspaceID))
        case .hangThenFail(let duration):
            try? await Task.sleep(for: duration)
            return Self.error(.serviceUnavailable, "Injected hang")
        case .holdThenFail(let gate):
            await gate.wait()
            return Self.error(.serviceUnavailable, "Injected failure after a hold")
        case .createThenDelay(let duration):
            let created = self.store(attributes, workspace: workspaceID)
            try? await Task.sleep(for: duration)
            return Self.jsonAPI(.created, created)
        case .createThenHold(let gate):
            let created = self.store(attributes, workspace: workspaceID)
            await gate.wait()
            return Self.jsonAPI(.created, created)
        case .createThenTrickle(let interval):
            let created = try? JSONSerialization.data(
                withJSONObject: self.store(attributes, workspace: workspaceID)
            )
            let bytes = Array(created ?? Data())
            return Response(
                status: .created,
                headers: [.contentType: "application/vnd.api+json"],
                body: ResponseBody { writer in
                    for byte in bytes {
                        try await writer.write(ByteBuffer(bytes: [byte]))
                        try await Task.sleep(for: interval)
                    }
                    try await writer.finish(nil)
                }
            )
        case .redirect(let code):
            let location = self.state.withLock { $0.baseURL } + "/elsewhere/api/v1/organization/\(organization)/job"
            var response = Self.error(HTTPResponse.Status(code: code), "Moved")
            response.headers[.location] = location
            return response
        case nil:
            let creationTime = self.state.withLock { $0.creationTime }
            if creationTime > .zero { try? await Task.sleep(for: creationTime) }
            return Self.jsonAPI(.created, self.store(attributes, workspace: workspaceID))
        }
    }

    /// Creates the job and returns its JSON:API document.
    private func store(_ attributes: [String: Any], workspace: String) -> [String: Any] {
        let strings = attributes.compactMapValues { $0 as? String }
        let job = self.state.withLock { state -> Job in
            let job = Job(
                id: state.jobs.count + 1,
                workspace: workspace,
                attributes: strings,
                createdDate: ISO8601DateFormatter().string(from: Date())
            )
            state.jobs.append(job)
            return job
        }
        return ["data": Self.resource(job)]
    }

    private static func resource(_ job: Job) -> [String: Any] {
        var attributes: [String: Any] = job.attributes
        attributes["status"] = job.status
        attributes["createdDate"] = job.createdDate
        return [
            "type": "job", "id": String(job.id), "attributes": attributes,
            "relationships": ["workspace": ["data": ["type": "workspace", "id": job.workspace]]],
        ]
    }

    /// `GET …/{type}?filter[{type}]=name=='x'`: the lookups by name of SPEC section 5.
    private func lookUp(_ type: String, _ request: Request) -> Response {
        let recorded = Recorded(method: "GET", path: request.uri.description, headers: [:], body: [], status: 200)
        let fault = self.state.withLock { state -> Int? in
            state.requests.append(recorded)
            return state.lookupFaults.isEmpty ? nil : state.lookupFaults.removeFirst()
        }
        if let fault { return Self.error(HTTPResponse.Status(code: fault), "Injected failure \(fault)") }
        guard request.headers[.authorization] == "Bearer \(self.token)" else {
            return Self.error(.unauthorized, "Invalid or missing token")
        }
        let wanted = Self.equalities(request, key: "filter[\(type)]")["name"]
        let id = self.state.withLock { state in wanted.flatMap { state.names[type]?[$0] } }
        let data: [[String: Any]] = id.map { [["type": type, "id": $0, "attributes": ["name": wanted ?? ""]]] } ?? []
        return Self.jsonAPI(.ok, ["data": data])
    }

    /// The `key==value` clauses of an RSQL conjunction in query parameter `key`, quotes removed.
    private static func equalities(_ request: Request, key: String) -> [String: String] {
        // Hummingbird decodes query values but not keys: `filter%5Bjob%5D` is `filter[job]`.
        let filter =
            request.uri.queryParameters.first { parameter in
                String(parameter.key).removingPercentEncoding == key
            }.map { String($0.value) } ?? ""
        var wanted: [String: String] = [:]
        for clause in filter.split(separator: ";") {
            guard let range = clause.range(of: "==") else { continue }
            var value = String(clause[range.upperBound...])
            if value.hasPrefix("'") && value.hasSuffix("'") && value.count >= 2 {
                value = String(value.dropFirst().dropLast())
            }
            wanted[String(clause[..<range.lowerBound])] = value.replacingOccurrences(of: "\\'", with: "'")
        }
        return wanted
    }

    /// `GET …/job?filter[job]=a=='x';b=='y'`: the RSQL conjunction of equalities PushRelay sends.
    private func listJobs(_ request: Request) -> Response {
        let recorded = Recorded(method: "GET", path: request.uri.description, headers: [:], body: [], status: 200)
        guard request.headers[.authorization] == "Bearer \(self.token)" else {
            self.state.withLock { $0.requests.append(recorded) }
            return Self.error(.unauthorized, "Invalid or missing token")
        }
        if let ids = Self.idList(request) {
            let (refused, jobs) = self.state.withLock { state -> (Bool, [Job]) in
                state.requests.append(recorded)
                guard !state.refusesIDFilter else { return (true, []) }
                return (false, state.jobs.indices.filter { ids.contains(state.jobs[$0].id) }.map { state.read($0) })
            }
            if refused { return Self.error(.badRequest, "Invalid filter: unknown operator =in=") }
            return Self.jsonAPI(.ok, ["data": jobs.map(Self.resource)])
        }
        let wanted = Self.equalities(request, key: "filter[job]")
        let jobs = self.state.withLock { state -> [Job] in
            state.requests.append(recorded)
            return state.jobs.filter { job in
                wanted.allSatisfy { key, value in
                    key == "workspace.id" ? job.workspace == value : job.attributes[key] == value
                }
            }
        }
        return Self.jsonAPI(.ok, ["data": jobs.map(Self.resource)])
    }

    /// `GET …/job/{id}`: one job, `404` when there is none.
    private func getJob(_ request: Request, id: Int?) -> Response {
        let recorded = Recorded(method: "GET", path: request.uri.description, headers: [:], body: [], status: 200)
        guard request.headers[.authorization] == "Bearer \(self.token)" else {
            self.state.withLock { $0.requests.append(recorded) }
            return Self.error(.unauthorized, "Invalid or missing token")
        }
        let job = self.state.withLock { state -> Job? in
            state.requests.append(recorded)
            return state.jobs.firstIndex { $0.id == id }.map { state.read($0) }
        }
        guard let job else { return Self.error(.notFound, "Job not found") }
        return Self.jsonAPI(.ok, ["data": Self.resource(job)])
    }

    /// A job with its steps included, as the plan comment reads it; its script is not moved on.
    private func jobWithSteps(_ request: Request, id: Int?, organization: String) -> Response {
        guard request.headers[.authorization] == "Bearer \(self.token)" else {
            return Self.error(.unauthorized, "Invalid or missing token")
        }
        let (job, outputs, base) = self.state.withLock { state in
            (state.jobs.first { $0.id == id }, id.flatMap { state.outputs[$0] } ?? [], state.baseURL)
        }
        guard let job else { return Self.error(.notFound, "Job not found") }
        let steps = outputs.indices.map { index -> [String: Any] in
            [
                "type": "step", "id": "\(job.id)-\(index)",
                "attributes": [
                    "name": "Step \(index)", "stepNumber": (index + 1) * 100, "status": "completed",
                    "output": "\(base)/tfoutput/v1/organization/\(organization)/job/\(job.id)/step/\(job.id)-\(index)",
                ],
            ]
        }
        return Self.jsonAPI(.ok, ["data": Self.resource(job), "included": steps])
    }

    /// The ids of `filter[job]=id=in=('1','2')`, or `nil` for another filter.
    private static func idList(_ request: Request) -> Set<Int>? {
        let filter =
            request.uri.queryParameters.first { String($0.key).removingPercentEncoding == "filter[job]" }
            .map { String($0.value) } ?? ""
        guard filter.hasPrefix("id=in=(") && filter.hasSuffix(")") else { return nil }
        let list = filter.dropFirst("id=in=(".count).dropLast()
        return Set(
            list.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: CharacterSet(charactersIn: "'"))) }
        )
    }

    private static func error(_ status: HTTPResponse.Status, _ detail: String) -> Response {
        self.jsonAPI(status, ["errors": [["status": String(status.code), "detail": detail]]])
    }

    private static func jsonAPI(_ status: HTTPResponse.Status, _ object: [String: Any]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
        return Response(
            status: status,
            headers: [.contentType: "application/vnd.api+json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}

extension TerrakubeStandIn.State {
    /// The job at `index` as a read sees it, its script moved on by one.
    fileprivate mutating func read(_ index: Int) -> TerrakubeStandIn.Job {
        let id = self.jobs[index].id
        if var script = self.scripts[id], !script.isEmpty {
            self.jobs[index].status = script.count > 1 ? script.removeFirst() : script[0]
            self.scripts[id] = script
        }
        return self.jobs[index]
    }
}
