/// `pushrelay.yaml`: how the service listens, where Terrakube is, and where deliveries are stored.
package struct ServiceSettings: Sendable, Equatable {
    package struct Terrakube: Sendable, Equatable, CustomStringConvertible, CustomReflectable {
        /// The API host without `/api/v1`, and without a trailing slash.
        package var url: String
        package var token: String
        /// The organization id; empty until resolved when only ``organizationName`` was given.
        package var organization: String
        package var organizationName: String?
        /// Terrakube's UI (`terrakube.ui_url`), without a trailing slash: the run links of statuses.
        package var uiURL: String?
        /// The signing secrets of Terrakube's job notifications (`notification_secret_env` or `_file`);
        /// empty: `POST /hooks/terrakube` is not served.
        package var notificationSecrets: [WebhookSecret] = []

        package init(url: String, token: String, organization: String, organizationName: String? = nil) {
            self.url = url
            self.token = token
            self.organization = organization
            self.organizationName = organizationName
        }

        /// Without the token: this value may be printed by code that does not know it holds one.
        package var description: String { "Terrakube(url: \(self.url), organization: \(self.organization))" }
        package var customMirror: Mirror {
            Mirror(self, children: ["url": self.url, "organization": self.organization])
        }
    }

    /// What one client may take of the listener. The defaults hold against slow and idle clients while
    /// leaving room for every Git host's largest delivery.
    package struct Limits: Sendable, Equatable {
        /// Largest webhook body accepted (SPEC section 3: 25 MiB by default, GitHub's own cap).
        package var maxBodyBytes: Int = 25 << 20
        /// Open connections at once; beyond it, new connections wait in the listen backlog.
        package var maxConnections: Int = 1024
        /// The request line and headers together (no Git host sends more than a few KiB).
        package var maxHeaderBytes: Int = 32 << 10
        /// A keep-alive connection with no request in progress is closed after this long.
        package var idleTimeoutSeconds: Double = 60
        /// A request must arrive whole (headers and body) within this long of its first line.
        package var readTimeoutSeconds: Double = 30
        /// A request's head must be complete within this long of the accept (or of the previous response
        /// plus the idle timeout): no Git host takes more than a moment to send one.
        package var headTimeoutSeconds: Double = 5
        /// After ``bodyGraceSeconds`` of a body, at least this many bytes a second since (0: no floor): a
        /// body dribbled slower is closed, long before ``readTimeoutSeconds``. Far below any real upload
        /// (25 MiB within the 30 s read timeout is 0.87 MB/s); far above a byte every few seconds.
        package var minBodyBytesPerSecond: Int = 1024
        /// How long a body may take to start before its rate counts.
        package var bodyGraceSeconds: Double = 2

        /// Whether a body that has brought `bytes` in `elapsed` seconds since its request's head is too
        /// slow: after `grace` (the grace period unless said), fewer than the floor's bytes for each second
        /// past it.
        package func bodyTooSlow(bytes: Int, elapsed: Double, grace: Double? = nil) -> Bool {
            let grace = grace ?? self.bodyGraceSeconds
            return self.minBodyBytesPerSecond > 0 && elapsed > grace
                && Double(bytes) < Double(self.minBodyBytesPerSecond) * (elapsed - grace)
        }
        /// Request bodies in memory at once, across all connections, each counted twice (the copy the store
        /// writes); beyond it a body is refused with `503`. Fits the shipped 256 MiB memory limits with room.
        package var maxBufferedBytes: Int = 64 << 20

        /// Bytes of a body that count as an ordinary delivery's; past them, it is a large one.
        package static let smallBodyBytes = 64 << 10

        /// What large bodies may take of the budget: all but an eighth, which stays for ordinary
        /// deliveries however many large ones are held open.
        package static func largeBodyShare(of budget: Int) -> Int { budget - budget / 8 }

        /// The smallest budget in which a body of `bodyLimit` bytes, counted twice, fits the large share.
        package static func leastBufferedBytes(forBodyLimit bodyLimit: Int) -> Int {
            (bodyLimit * 2 * 8 + 6) / 7
        }

        /// The defaults, as the properties above give them: the config changes what it names.
        package init() {}
    }

    /// TLS termination in PushRelay itself, for those who expose it without an ingress or proxy.
    package struct TLS: Sendable, Equatable {
        /// PEM files, as absolute paths.
        package var certificateFile: String
        package var keyFile: String

        package init(certificateFile: String, keyFile: String) {
            self.certificateFile = certificateFile
            self.keyFile = keyFile
        }
    }

    package struct Dispatch: Sendable, Equatable {
        /// Terrakube calls in flight at once.
        package var concurrency: Int = 4
        /// Whole-call timeout for one Terrakube request, in seconds.
        package var requestTimeoutSeconds: Double = 10
        /// After this many failed attempts a job is marked failed.
        package var maxAttempts: Int = 20
        /// How long a claimed job is this process's alone unless renewed: another process takes over a
        /// job whose owner stopped renewing for this long. Well above `requestTimeoutSeconds`.
        package var leaseSeconds: Double = 30

        /// The defaults, as the properties above give them: the config changes what it names.
        package init() {}
    }

    /// Where the embedded store lives unless `store.sqlite` says otherwise.
    package static let defaultSQLitePath = "data/pushrelay.sqlite"

    package var listen: ListenAddress
    package var terrakube: Terrakube
    /// The SQLite file (relative paths from the working directory, as operators expect of `data/`), or the
    /// PostgreSQL database.
    package var store: StoreSettings
    package var defaultSecrets: [WebhookSecret]
    package var limits: Limits
    package var dispatch: Dispatch
    package var tls: TLS?
    /// Label delivery counts with the (configured) repository: off by default, to keep series bounded.
    package var metricsRepositoryLabel: Bool
    /// How often the config directory is checked for changes; 0 leaves reloading to SIGHUP alone.
    package var reloadPollSeconds: Double
    /// Deliveries (bodies, jobs, attempts) older than this many days are pruned once their jobs are done.
    package var retentionDays: Int
    package static let defaultRetentionDays = 30
    /// Where commit statuses go; `nil`: none are posted.
    package var status: StatusSettings?
    /// Every Git host PushRelay calls, by host name (`hosts`).
    package var hosts: [String: GitHost]
    /// Missed-push recovery; `nil`: off.
    package var recovery: RecoverySettings?

    package init(
        listen: ListenAddress,
        terrakube: Terrakube,
        store: StoreSettings,
        defaultSecrets: [WebhookSecret],
        limits: Limits = .init(),
        dispatch: Dispatch = .init(),
        tls: TLS? = nil,
        metricsRepositoryLabel: Bool = false,
        reloadPollSeconds: Double = 2,
        retentionDays: Int = ServiceSettings.defaultRetentionDays,
        status: StatusSettings? = nil,
        hosts: [String: GitHost] = [:],
        recovery: RecoverySettings? = nil
    ) {
        self.retentionDays = retentionDays
        self.status = status
        self.hosts = hosts
        self.recovery = recovery
        self.listen = listen
        self.terrakube = terrakube
        self.store = store
        self.defaultSecrets = defaultSecrets
        self.limits = limits
        self.dispatch = dispatch
        self.tls = tls
        self.metricsRepositoryLabel = metricsRepositoryLabel
        self.reloadPollSeconds = reloadPollSeconds
    }

    /// The settings a reload cannot change: they shape the listener, the store and the dispatcher, which
    /// are built once at start.
    package func restartOnlyDifferences(from other: ServiceSettings) -> [String] {
        var names: [String] = []
        if self.listen != other.listen { names.append("listen") }
        if self.store != other.store { names.append("store") }
        if self.terrakube.url != other.terrakube.url || self.terrakube.token != other.terrakube.token {
            names.append("terrakube")
        }
        if self.dispatch != other.dispatch { names.append("dispatch") }
        if self.tls != other.tls { names.append("tls") }
        let limits = { (limits: Limits) in
            [limits.maxConnections, limits.maxHeaderBytes, limits.maxBufferedBytes, limits.minBodyBytesPerSecond]
                .map(Double.init) + [
                    limits.idleTimeoutSeconds, limits.readTimeoutSeconds, limits.headTimeoutSeconds,
                    limits.bodyGraceSeconds,
                ]
        }
        if limits(self.limits) != limits(other.limits) { names.append("limits (other than max_body_bytes)") }
        if self.metricsRepositoryLabel != other.metricsRepositoryLabel { names.append("metrics") }
        // Each host has a dispatcher of its own, built at start.
        if self.status != other.status || self.terrakube.uiURL != other.terrakube.uiURL { names.append("status") }
        if self.hosts != other.hosts { names.append("hosts") }
        if self.recovery != other.recovery { names.append("recovery") }
        return names
    }
}
