import CryptoExtras
import Foundation
import HTTPTypes
import Hummingbird
import JWTKit
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A Git host's commit status API on loopback: answers every POST as the hosts do when a status is
/// taken (`201` with the status), records each request exactly as it came (the path undecoded), and
/// fails on demand. With an ``App``, it is also GitHub's app API: it checks each JWT against the app's
/// public key, answers installations and mints installation tokens, and takes posts only with a token
/// it minted that has not expired.
package final class GitHostStandIn: Sendable {
    package struct App: Sendable {
        package var id: String
        package var publicKey: JWTKit.Insecure.RSA.PublicKey
        /// `owner/repo` → installation id; other repositories answer `404`.
        package var installations: [String: Int]
        package var tokenLifetime: TimeInterval = 3600

        package init(id: String, publicKey: JWTKit.Insecure.RSA.PublicKey, installations: [String: Int]) {
            self.id = id
            self.publicKey = publicKey
            self.installations = installations
        }

        /// An app with a fresh key, and that key's PEM (PKCS#1, as GitHub gives it) for the relay.
        package static func withNewKey(id: String, installations: [String: Int]) throws -> (app: App, pem: String) {
            let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            let app = App(
                id: id,
                publicKey: try JWTKit.Insecure.RSA.PublicKey(pem: key.publicKey.pemRepresentation),
                installations: installations
            )
            return (app, key.pemRepresentation)
        }
    }

    package struct Recorded: Sendable {
        package var method: String
        /// The request target as sent: GitLab's `%2F` stays encoded.
        package var target: String
        package var headers: [String: String]
        package var body: [UInt8]
        /// When it arrived.
        package var at = Date()

        package var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(self.body))) as? [String: Any]
        }
    }

    /// What the next posts meet instead of a `201`, one each.
    package enum Fault: Sendable {
        case answer(Int, headers: [String: String] = [:], body: String = "{}")
        /// Hold the answer this long, then `201`.
        case hang(Duration)
        /// Hold the answer until the gate opens, then `201`.
        case hold(Gate)
    }

    private struct State {
        var requests: [Recorded] = []
        var appRequests: [Recorded] = []
        var faults: [Fault] = []
        /// What every post meets while set, after the one-off faults.
        var outage: Fault?
        var onPost: (@Sendable (Recorded) -> Void)?
        var reads: [Recorded] = []
        /// Targets whose reads answer `404`, as a host does for a repository the token cannot see.
        var hidden: Set<String> = []
        /// Abbreviated commit → full sha, for `GET …/commit/{abbreviated}`.
        var commits: [String: String] = [:]
        /// Minted token → when it expires.
        var tokens: [String: Date] = [:]
        /// Who awaits status posts as they arrive (``posts()``).
        var watchers: [AsyncStream<Recorded>.Continuation] = []
        /// URL path (a clone URL's, without `/info/refs`) → the bare repository served there.
        var repositories: [String: GitRepository] = [:]
        /// What the next ref advertisements of a path meet instead of Git's answer, one each.
        var gitFaults: [String: [Fault]] = [:]
        var gitReads: [Recorded] = []
    }

    private let state = Mutex(State())
    private let app: App?
    /// The hooks' delivery logs, with their resends.
    package let hooks = HookDeliveries()
    /// Pull requests' changed files.
    package let pullRequestFiles = PullRequestFileLists()
    /// Pull requests' comments.
    package let comments = PullRequestComments()

    package init(app: App? = nil) {
        self.app = app
    }

    /// The status posts (and, without an app, every request).
    package var requests: [Recorded] { self.state.withLock { $0.requests } }
    /// Status posts as they arrive, from now on: a test awaits the next one instead of polling the list.
    package func posts() -> AsyncStream<Recorded> {
        let (stream, continuation) = AsyncStream.makeStream(of: Recorded.self)
        self.state.withLock { $0.watchers.append(continuation) }
        return stream
    }

    /// Reads of repositories (`GET`s other than the app API's).
    package var reads: [Recorded] { self.state.withLock { $0.reads } }

    /// Reads of these targets answer `404` with GitHub's "Not Found"; others `200`.
    package func hide(_ targets: String...) {
        self.state.withLock { $0.hidden.formUnion(targets) }
    }

    /// Answers `GET …/commit/{abbreviated}` with the commit's full sha, as Bitbucket Cloud does.
    package func know(commit abbreviated: String, fullSHA: String) {
        self.state.withLock { $0.commits[abbreviated] = fullSHA }
    }

    /// Serves `repository` over Git's smart HTTP at `path` (a clone URL's path, such as
    /// `/acme/infra.git`): `GET {path}/info/refs?service=git-upload-pack` is answered by `git http-backend`.
    package func serve(_ repository: GitRepository, at path: String) {
        self.state.withLock { $0.repositories[path] = repository }
    }

    /// What the next ref advertisements of the repository at `path` meet instead of Git's answer, one each.
    package func injectGit(_ faults: Fault..., at path: String) {
        self.state.withLock { $0.gitFaults[path, default: []].append(contentsOf: faults) }
    }

    /// Ref advertisement requests, as they came.
    package var gitReads: [Recorded] { self.state.withLock { $0.gitReads } }

    /// The app API's requests: installation lookups and token exchanges.
    package var appRequests: [Recorded] { self.state.withLock { $0.appRequests } }

    package func inject(_ faults: Fault...) {
        self.state.withLock { $0.faults.append(contentsOf: faults) }
    }

    /// Every post meets `fault` until this is called again with `nil`.
    /// - Returns: how many posts came before the change (each met what was set before it).
    @discardableResult
    package func outage(_ fault: Fault?) -> Int {
        self.state.withLock { state in
            state.outage = fault
            return state.requests.count
        }
    }

    /// Called with each post as it arrives (before it is answered).
    package func onPost(_ handler: @escaping @Sendable (Recorded) -> Void) {
        self.state.withLock { $0.onPost = handler }
    }

    /// Runs on `127.0.0.1` while `body` runs; `body` gets the base URL.
    package func whileRunning<T: Sendable>(
        port: Int = 0,
        _ body: @Sendable (String) async throws -> T
    ) async throws -> T {
        let ports = PortBox()
        var logger = Logger(label: "git-host-stand-in")
        logger.logLevel = .warning
        let router = Router(context: BasicRequestContext.self)
        router.post("/**") { request, _ in try await self.answer(request) }
        router.get("/**") { request, _ in try await self.answer(request) }
        router.patch("/**") { request, _ in try await self.answer(request) }
        router.put("/**") { request, _ in try await self.answer(request) }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: port)),
            onServerRunning: { ports.set($0.localAddress?.port ?? 0) },
            logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        return try await group.whileRunning { try await body("http://127.0.0.1:\(await ports.port())") }
    }

    private func answer(_ request: Request) async throws -> Response {
        let body = Array(buffer: try await request.body.collect(upTo: 1 << 20))
        let recorded = Recorded(
            method: request.method.rawValue,
            target: request.uri.description,
            // HTTP/1's `Host` is the authority here.
            headers: Dictionary(
                request.headers.map { ($0.name.canonicalName, $0.value) }
                    + (request.head.authority.map { [("host", $0)] } ?? []),
                uniquingKeysWith: { first, _ in first }
            ),
            body: body
        )
        if let answer = try await self.gitAnswer(recorded) { return answer }
        if let answer = try await self.hookAnswer(recorded) { return answer }
        if let app = self.app {
            if let answer = try await self.appAnswer(recorded, app: app) { return answer }
            let token = recorded.headers["authorization"].map { String($0.dropFirst("Bearer ".count)) }
            let valid = self.state.withLock { state in token.flatMap { state.tokens[$0] }.map { $0 > Date() } }
            if valid != true {
                self.state.withLock {
                    recorded.method == "GET" ? $0.reads.append(recorded) : $0.requests.append(recorded)
                }
                return Self.json(401, ["message": "Bad credentials"])
            }
        }
        if recorded.method == "GET" {
            let (hidden, commit) = self.state.withLock { state in
                state.reads.append(recorded)
                let commit = state.commits.first { recorded.target.hasSuffix("/commit/" + $0.key) }?.value
                return (state.hidden.contains(recorded.target), commit)
            }
            if hidden { return Self.json(404, ["message": "Not Found"]) }
            // Bitbucket Cloud's commit, as `GET …/commit/{abbreviated}` gives it.
            if let commit { return Self.json(200, ["type": "commit", "hash": commit]) }
            return Self.json(200, ["id": 1])
        }
        let (fault, onPost, watchers) = self.state.withLock { state in
            state.requests.append(recorded)
            return (state.faults.isEmpty ? state.outage : state.faults.removeFirst(), state.onPost, state.watchers)
        }
        onPost?(recorded)
        for watcher in watchers { watcher.yield(recorded) }
        switch fault {
        case .answer(let status, let headers, let text):
            return Self.answer(status, headers: ["Content-Type": "application/json"].merging(headers) { $1 }, text)
        case .hang(let duration):
            try? await Task.sleep(for: duration)
            return Self.created(body)
        case .hold(let gate):
            await gate.wait()
            return Self.created(body)
        case nil:
            return Self.created(body)
        }
    }

    /// GitHub's compare of two commits of a served repository (`GET /repos/{o}/{r}/compare/{a}...{b}`), as
    /// Git itself orders them: `status` is `identical`, `behind` (b is in a), `ahead` or `diverged`; `files`
    /// as `git diff --name-only` lists them.
    private func compareAnswer(_ request: Recorded) -> Response? {
        let path = request.target.split(separator: "?")[0]
        guard request.method == "GET", path.hasPrefix("/repos/"), let marker = path.range(of: "/compare/") else {
            return nil
        }
        let clonePath = String(path[path.index(path.startIndex, offsetBy: "/repos".count)..<marker.lowerBound]) + ".git"
        let commits = path[marker.upperBound...].components(separatedBy: "...")
        let repository = self.state.withLock { state in
            state.reads.append(request)
            return state.repositories[clonePath]
        }
        guard let repository, commits.count == 2 else { return Self.json(404, ["message": "Not Found"]) }
        let (base, head) = (commits[0], commits[1])
        let status =
            base == head
            ? "identical"
            : repository.contains(base, head)
                ? "behind" : repository.contains(head, base) ? "ahead" : "diverged"
        let files = repository.changedFiles(from: base, to: head).map { ["filename": $0] }
        return Self.json(200, ["status": status, "files": files])
    }

    /// Git's answer to a ref advertisement request of a served repository; `nil` for any other request.
    private func gitAnswer(_ request: Recorded) async throws -> Response? {
        if let compare = self.compareAnswer(request) { return compare }
        let parts = request.target.split(separator: "?", maxSplits: 1).map(String.init)
        guard request.method == "GET", parts[0].hasSuffix("/info/refs") else { return nil }
        let path = String(parts[0].dropLast("/info/refs".count))
        let (repository, fault) = self.state.withLock { state in
            state.gitReads.append(request)
            let repository = state.repositories[path]
            let fault = state.gitFaults[path]?.isEmpty == false ? state.gitFaults[path]?.removeFirst() : nil
            return (repository, fault)
        }
        guard let repository else { return Self.json(404, ["message": "Not Found"]) }
        switch fault {
        case .answer(let status, let headers, let text):
            return Self.answer(status, headers: headers, text)
        case .hang(let duration):
            try? await Task.sleep(for: duration)
        case .hold(let gate):
            await gate.wait()
        case nil:
            break
        }
        let query = parts.count > 1 ? parts[1] : ""
        let answer = try GitHTTPBackend.get(repository: repository.bare, path: "info/refs", query: query)
        var fields = HTTPFields()
        for (name, value) in answer.headers { if let field = HTTPField.Name(name) { fields[field] = value } }
        return Response(
            status: HTTPResponse.Status(code: answer.status),
            headers: fields,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body))
        )
    }

    /// The delivery logs' and pull request file lists' answers: a GitHub App's hook only with the App's JWT.
    private func hookAnswer(_ request: Recorded) async throws -> Response? {
        if request.target.hasPrefix("/app/hook") {
            guard let app = self.app, let header = request.headers["authorization"], header.hasPrefix("Bearer "),
                await Self.verify(String(header.dropFirst("Bearer ".count)), app: app)
            else { return Self.json(401, ["message": "A JSON web token could not be decoded"]) }
        }
        let host = request.headers["host"] ?? ""
        var answer = await self.hooks.answer(request.method, target: request.target, host: host)
        if answer == nil { answer = self.pullRequestFiles.answer(request.method, target: request.target, host: host) }
        if answer == nil { answer = self.comments.answer(request.method, target: request.target, body: request.body) }
        if answer != nil { self.state.withLock { $0.reads.append(request) } }
        return answer
    }

    /// GitHub's answers to `GET /repos/{o}/{r}/installation` and `POST /app/installations/{id}/access_tokens`;
    /// `nil` for any other request.
    private func appAnswer(_ request: Recorded, app: App) async throws -> Response? {
        let path = request.target.split(separator: "?")[0]
        let installation = path.hasSuffix("/installation") && path.hasPrefix("/repos/")
        let exchange = path.hasPrefix("/app/installations/") && path.hasSuffix("/access_tokens")
        guard installation || exchange else { return nil }
        self.state.withLock { $0.appRequests.append(request) }
        guard let header = request.headers["authorization"], header.hasPrefix("Bearer "),
            await Self.verify(String(header.dropFirst("Bearer ".count)), app: app)
        else {
            return Self.json(401, ["message": "A JSON web token could not be decoded"])
        }
        if installation {
            let repository = path.dropFirst("/repos/".count).dropLast("/installation".count)
            guard let id = app.installations[String(repository)] else {
                return Self.json(404, ["message": "Not Found"])
            }
            return Self.json(200, ["id": id, "app_id": Int(app.id) ?? 0])
        }
        let id = Int(path.dropFirst("/app/installations/".count).dropLast("/access_tokens".count)) ?? -1
        guard app.installations.values.contains(id) else { return Self.json(404, ["message": "Not Found"]) }
        let expires = Date().addingTimeInterval(app.tokenLifetime)
        let token = self.state.withLock { state in
            let token = "ghs_\(state.tokens.count + 1)"
            state.tokens[token] = expires
            return token
        }
        return Self.json(201, ["token": token, "expires_at": expires.formatted(.iso8601)])
    }

    /// As GitHub checks an app's JWT: RS256 with the app's key, issued by the app, not expired, and
    /// living at most 10 minutes.
    private static func verify(_ jwt: String, app: App) async -> Bool {
        let keys = await JWTKeyCollection().add(rsa: app.publicKey, digestAlgorithm: .sha256)
        guard let claims = try? await keys.verify(jwt, as: AppClaims.self) else { return false }
        return claims.iss.value == app.id && claims.exp.value.timeIntervalSince(claims.iat.value) <= 600
    }

    private struct AppClaims: JWTPayload {
        var iat: IssuedAtClaim
        var exp: ExpirationClaim
        var iss: IssuerClaim

        func verify(using algorithm: some JWTAlgorithm) async throws {
            try self.exp.verifyNotExpired()
        }
    }

    /// A fault's answer: `status` with these headers and text.
    private static func answer(_ status: Int, headers: [String: String], _ text: String) -> Response {
        var fields = HTTPFields()
        for (name, value) in headers { if let field = HTTPField.Name(name) { fields[field] = value } }
        return Response(
            status: HTTPResponse.Status(code: status),
            headers: fields,
            body: ResponseBody(byteBuffer: ByteBuffer(string: text))
        )
    }

    /// `object` (a dictionary or a list) as JSON, with `headers` besides its content type.
    static func json(_ status: Int, _ object: Any, headers: [String: String] = [:]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
        var fields: HTTPFields = [.contentType: "application/json"]
        for (name, value) in headers { if let field = HTTPField.Name(name) { fields[field] = value } }
        return Response(
            status: HTTPResponse.Status(code: status),
            headers: fields,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }

    private static func created(_ body: [UInt8]) -> Response {
        Response(
            status: .created,
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body))
        )
    }
}
