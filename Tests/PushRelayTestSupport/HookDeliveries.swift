import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// The webhook delivery logs of the Git-host stand-in, as GitHub and GitLab keep them: hooks with URLs,
/// each event's attempts with the status the receiver answered, listed newest first a page at a time
/// (`Link` to the next), and resends that deliver the event again through ``onResend(_:)`` and log the
/// new attempt. GitHub: `GET /repos/{o}/{r}/hooks`, `…/hooks/{id}/deliveries`, `POST …/deliveries/{id}/attempts`,
/// and the App's hook under `/app/hook`; GitLab: `GET /projects/{id}/hooks`, `…/hooks/{id}/events`,
/// `POST …/events/{id}/resend`.
package final class HookDeliveries: Sendable {
    package enum Kind: Sendable {
        case github
        case gitlab
    }

    /// An event as the host sent it: the receiver's path (after the hook URL's origin), headers and body.
    package struct Event: Sendable {
        package var key: String
        package var path: String
        package var headers: [(String, String)]
        package var body: [UInt8]

        package init(key: String, path: String, headers: [(String, String)], body: [UInt8]) {
            self.key = key
            self.path = path
            self.headers = headers
            self.body = body
        }
    }

    private struct Attempt {
        var id: Int
        var event: Int
        /// `nil`: no answer came.
        var status: Int?
        var at: Date
        var redelivery: Bool
    }

    private struct Hook {
        var id: Int
        var url: String
        var kind: Kind
        /// The API path of the hook's list: `/repos/o/r/hooks`, `/api/v4/projects/{id}/hooks`; `/app/hook`.
        var list: String
    }

    private struct State {
        var hooks: [Hook] = []
        var events: [Event] = []
        var attempts: [Int: [Attempt]] = [:]
        var nextID = 1000
        var resends: [String] = []
        var onResend: (@Sendable (Event) async -> Int?)?
        var pageSize = 100
    }

    private let state = Mutex(State())

    package init() {}

    /// A hook on the hooks list at `list` (`/repos/o/r/hooks`, `/api/v4/projects/{id}/hooks`, or
    /// `/app/hook` for a GitHub App's).
    package func addHook(_ id: Int, url: String, kind: Kind, list: String) {
        self.state.withLock { $0.hooks.append(Hook(id: id, url: url, kind: kind, list: list)) }
    }

    /// An attempt to deliver `event` through hook `hook`, answered `status` (`nil`: no answer).
    package func attempted(_ event: Event, hook: Int, status: Int?) {
        self.state.withLock { state in
            let index = state.events.firstIndex { $0.key == event.key } ?? state.events.count
            if index == state.events.count { state.events.append(event) }
            state.nextID += 1
            state.attempts[hook, default: []].append(
                Attempt(id: state.nextID, event: index, status: status, at: Date(), redelivery: false)
            )
        }
    }

    /// How a resend delivers its event: the status the receiver answered, or `nil` for none.
    package func onResend(_ deliver: @escaping @Sendable (Event) async -> Int?) {
        self.state.withLock { $0.onResend = deliver }
    }

    /// Lists hold this many items a page, whatever `per_page` asks.
    package func pageSize(_ size: Int) {
        self.state.withLock { $0.pageSize = size }
    }

    /// The keys of the events resent, in order.
    package var resends: [String] { self.state.withLock { $0.resends } }

    /// The answer to a request for the delivery logs; `nil` for any other request.
    func answer(_ method: String, target: String, host: String) async -> Response? {
        let parts = target.split(separator: "?", maxSplits: 1).map(String.init)
        let path = parts[0]
        let query = parts.count > 1 ? parts[1] : ""
        let page = query.split(separator: "&").first { $0.hasPrefix("page=") }.flatMap { Int($0.dropFirst(5)) } ?? 1
        let (hooks, pageSize) = self.state.withLock { ($0.hooks, $0.pageSize) }
        if method == "GET", path == "/app/hook/config", let hook = hooks.first(where: { $0.list == "/app/hook" }) {
            return GitHostStandIn.json(200, ["url": hook.url, "content_type": "json"])
        }
        if method == "GET", hooks.contains(where: { $0.list == path }) {
            let list = hooks.filter { $0.list == path }.map { hook -> [String: Any] in
                hook.kind == .github ? ["id": hook.id, "config": ["url": hook.url]] : ["id": hook.id, "url": hook.url]
            }
            return GitHostStandIn.json(200, list)
        }
        guard let hook = hooks.first(where: { path.hasPrefix(self.root(of: $0) + "/") }) else { return nil }
        let rest = path.dropFirst(self.root(of: hook).count)
        if method == "GET", rest == "/deliveries" || rest == "/events" {
            let (items, more) = self.listing(hook, page: page, pageSize: pageSize)
            var headers: [String: String] = [:]
            if more { headers["Link"] = "<http://\(host)\(path)?per_page=\(pageSize)&page=\(page + 1)>; rel=\"next\"" }
            return GitHostStandIn.json(200, items, headers: headers)
        }
        let resend = hook.kind == .github ? "/attempts" : "/resend"
        let prefix = hook.kind == .github ? "/deliveries/" : "/events/"
        guard method == "POST", rest.hasPrefix(prefix), rest.hasSuffix(resend),
            let id = Int(rest.dropFirst(prefix.count).dropLast(resend.count))
        else { return GitHostStandIn.json(404, ["message": "Not Found"]) }
        let found = self.state.withLock { state -> (Event, (@Sendable (Event) async -> Int?)?)? in
            guard let attempt = state.attempts[hook.id]?.first(where: { $0.id == id }) else { return nil }
            return (state.events[attempt.event], state.onResend)
        }
        guard let (event, deliver) = found else { return GitHostStandIn.json(404, ["message": "Not Found"]) }
        let status = await deliver?(event)
        self.state.withLock { state in
            state.resends.append(event.key)
            state.nextID += 1
            let index = state.events.firstIndex { $0.key == event.key } ?? 0
            state.attempts[hook.id, default: []].append(
                Attempt(id: state.nextID, event: index, status: status, at: Date(), redelivery: true)
            )
        }
        return hook.kind == .github
            ? GitHostStandIn.json(202, [:]) : GitHostStandIn.json(201, ["response_status": status ?? 0])
    }

    /// Where a hook's own calls start: its list path and id, or the App's hook.
    private func root(of hook: Hook) -> String {
        hook.list == "/app/hook" ? hook.list : "\(hook.list)/\(hook.id)"
    }

    /// One page of a hook's attempts, newest first, as the host lists them; whether a page follows.
    private func listing(_ hook: Hook, page: Int, pageSize: Int) -> ([[String: Any]], Bool) {
        self.state.withLock { state in
            let all = (state.attempts[hook.id] ?? []).sorted { $0.id > $1.id }
            let slice = all.dropFirst((page - 1) * pageSize).prefix(pageSize)
            let items = slice.map { attempt -> [String: Any] in
                let event = state.events[attempt.event]
                switch hook.kind {
                case .github:
                    return [
                        "id": attempt.id, "guid": event.key, "status_code": attempt.status ?? 0,
                        "status": attempt.status.map {
                            (200...299).contains($0) ? "OK" : "Invalid HTTP Response: \($0)"
                        }
                            ?? "failed to connect",
                        "delivered_at": attempt.at.formatted(.iso8601), "redelivery": attempt.redelivery,
                        "event": "push",
                    ]
                case .gitlab:
                    return [
                        "id": attempt.id, "trigger": "push_hooks", "url": hook.url,
                        "request_headers": ["Idempotency-Key": event.key, "X-Gitlab-Event": "Push Hook"],
                        "response_status": attempt.status.map(String.init) ?? "internal error",
                    ]
                }
            }
            return (items, all.count > page * pageSize)
        }
    }
}
