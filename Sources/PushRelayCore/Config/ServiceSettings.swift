/// `pushrelay.yaml`: how the service listens, where Terrakube is, and where deliveries are stored.
package struct ServiceSettings: Sendable, Equatable {
    package struct Terrakube: Sendable, Equatable, CustomStringConvertible, CustomReflectable {
        /// The API host without `/api/v1`, and without a trailing slash.
        package var url: String
        package var token: String
        /// The organization id; empty until resolved when only ``organizationName`` was given.
        package var organization: String
        package var organizationName: String?

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

    package struct Limits: Sendable, Equatable {
        /// Largest webhook body accepted (SPEC section 3: 25 MiB by default, GitHub's own cap).
        package var maxBodyBytes: Int = 25 << 20

        package init(maxBodyBytes: Int = 25 << 20) {
            self.maxBodyBytes = maxBodyBytes
        }
    }

    package struct Dispatch: Sendable, Equatable {
        /// Terrakube calls in flight at once.
        package var concurrency: Int = 4
        /// Whole-call timeout for one Terrakube request, in seconds.
        package var requestTimeoutSeconds: Double = 30
        /// After this many failed attempts a job is marked failed.
        package var maxAttempts: Int = 20

        package init(concurrency: Int = 4, requestTimeoutSeconds: Double = 30, maxAttempts: Int = 20) {
            self.concurrency = concurrency
            self.requestTimeoutSeconds = requestTimeoutSeconds
            self.maxAttempts = maxAttempts
        }
    }

    /// Where the embedded store lives unless `store.sqlite` says otherwise.
    package static let defaultSQLitePath = "data/pushrelay.sqlite"

    package var listen: ListenAddress
    package var terrakube: Terrakube
    /// The SQLite file; relative paths are taken from the working directory, as operators expect of `data/`.
    package var sqlitePath: String
    package var defaultSecrets: [WebhookSecret]
    package var limits: Limits
    package var dispatch: Dispatch

    package init(
        listen: ListenAddress,
        terrakube: Terrakube,
        sqlitePath: String,
        defaultSecrets: [WebhookSecret],
        limits: Limits = .init(),
        dispatch: Dispatch = .init()
    ) {
        self.listen = listen
        self.terrakube = terrakube
        self.sqlitePath = sqlitePath
        self.defaultSecrets = defaultSecrets
        self.limits = limits
        self.dispatch = dispatch
    }
}
