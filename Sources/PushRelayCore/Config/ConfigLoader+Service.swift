import Foundation
import Yams

extension ConfigLoader {
    private static let serviceKeys: Set<String> = [
        "listen", "terrakube", "store", "secret_env", "secret_file", "limits", "dispatch", "tls", "metrics", "reload",
        "status", "hosts", "recovery",
    ]
    private static let terrakubeKeys: Set<String> = [
        "url", "token_env", "token_file", "organization", "organization_name", "ui_url",
        "notification_secret_env", "notification_secret_file",
    ]
    private static let storeKeys: Set<String> = [
        "sqlite", "postgres_url_env", "postgres_url_file", "notify", "pool_size", "retention_days",
    ]
    private static let limitKeys: Set<String> = [
        "max_body_bytes", "max_connections", "max_header_bytes", "idle_timeout_seconds", "read_timeout_seconds",
        "max_buffered_bytes", "head_timeout_seconds", "min_body_bytes_per_second", "body_grace_seconds",
    ]
    private static let tlsKeys: Set<String> = ["certificate_file", "key_file"]
    private static let dispatchKeys: Set<String> = [
        "concurrency", "request_timeout_seconds", "max_attempts", "lease_seconds",
    ]

    /// `pushrelay.yaml`.
    func serviceSettings(from root: Node, file: String, problems: inout [ConfigProblem]) -> ServiceSettings? {
        guard let fields = YAMLFields(root, file: file, what: "pushrelay.yaml", problems: &problems) else { return nil }
        let before = problems.count
        fields.reportUnknownKeys(allowed: Self.serviceKeys, problems: &problems)

        var listen = ListenAddress(host: "0.0.0.0", port: 8080)
        if let text = fields.string("listen", problems: &problems) {
            if let parsed = ListenAddress(parsing: text) {
                listen = parsed
            } else {
                problems.append(fields.problem("listen", "'listen' must be host:port, such as \"0.0.0.0:8080\""))
            }
        }

        let terrakube = self.terrakube(fields, problems: &problems)

        var store = StoreSettings.sqlite(ServiceSettings.defaultSQLitePath)
        var retentionDays = ServiceSettings.defaultRetentionDays
        if let section = fields.mapping("store", problems: &problems) {
            store = self.store(section, problems: &problems) ?? store
            // At least a week: a delivery's id must outlive every host's redelivery window (GitHub's is
            // 3 days), or a redelivery would no longer be taken for a duplicate.
            retentionDays = section.int("retention_days", range: 7...36_500, problems: &problems) ?? retentionDays
        }

        let defaultSecrets = self.secrets(fields, prefix: "secret", problems: &problems) ?? []

        var limits = ServiceSettings.Limits()
        if let section = fields.mapping("limits", problems: &problems) {
            section.reportUnknownKeys(allowed: Self.limitKeys, problems: &problems)
            limits.maxBodyBytes =
                section.int("max_body_bytes", range: 1024...(1 << 30), problems: &problems) ?? limits.maxBodyBytes
            limits.maxConnections =
                section.int("max_connections", range: 1...1_000_000, problems: &problems) ?? limits.maxConnections
            limits.maxHeaderBytes =
                section.int("max_header_bytes", range: 1024...(1 << 20), problems: &problems) ?? limits.maxHeaderBytes
            limits.idleTimeoutSeconds =
                section.double("idle_timeout_seconds", range: 0.1...3600, problems: &problems)
                ?? limits.idleTimeoutSeconds
            limits.readTimeoutSeconds =
                section.double("read_timeout_seconds", range: 0.1...3600, problems: &problems)
                ?? limits.readTimeoutSeconds
            limits.headTimeoutSeconds =
                section.double("head_timeout_seconds", range: 0.1...3600, problems: &problems)
                ?? limits.headTimeoutSeconds
            limits.minBodyBytesPerSecond =
                section.int("min_body_bytes_per_second", range: 0...(1 << 30), problems: &problems)
                ?? limits.minBodyBytesPerSecond
            limits.bodyGraceSeconds =
                section.double("body_grace_seconds", range: 0.1...3600, problems: &problems) ?? limits.bodyGraceSeconds
            limits.maxBufferedBytes =
                section.int("max_buffered_bytes", range: (1 << 20)...(1 << 40), problems: &problems)
                ?? limits.maxBufferedBytes
            // A body at the limit must fit what large bodies may take of the budget, or it could never be read.
            let least = ServiceSettings.Limits.leastBufferedBytes(forBodyLimit: limits.maxBodyBytes)
            if limits.maxBufferedBytes < least {
                problems.append(
                    section.problem(
                        section.has("max_buffered_bytes") ? "max_buffered_bytes" : "max_body_bytes",
                        "'max_buffered_bytes' (\(limits.maxBufferedBytes)) is too small for 'max_body_bytes' "
                            + "(\(limits.maxBodyBytes)): a body at the limit could never be read; it must be at "
                            + "least \(least)"
                    )
                )
            }
        }

        let tls = self.tls(fields, problems: &problems)
        var hosts = self.hosts(fields, problems: &problems)
        let status = self.status(fields, uiURL: terrakube?.uiURL, hosts: &hosts, problems: &problems)
        let recovery = self.recovery(fields, problems: &problems)

        var metricsRepositoryLabel = false
        if let section = fields.mapping("metrics", problems: &problems) {
            section.reportUnknownKeys(allowed: ["repository_label"], problems: &problems)
            metricsRepositoryLabel = section.bool("repository_label", problems: &problems) ?? false
        }

        var reloadPollSeconds = 2.0
        if let section = fields.mapping("reload", problems: &problems) {
            section.reportUnknownKeys(allowed: ["poll_seconds"], problems: &problems)
            reloadPollSeconds = section.double("poll_seconds", range: 0...3600, problems: &problems) ?? 2
        }

        var dispatch = ServiceSettings.Dispatch()
        if let section = fields.mapping("dispatch", problems: &problems) {
            section.reportUnknownKeys(allowed: Self.dispatchKeys, problems: &problems)
            dispatch.concurrency =
                section.int("concurrency", range: 1...256, problems: &problems) ?? dispatch.concurrency
            dispatch.requestTimeoutSeconds =
                section.double("request_timeout_seconds", range: 0.1...600, problems: &problems)
                ?? dispatch.requestTimeoutSeconds
            dispatch.maxAttempts =
                section.int("max_attempts", range: 1...10_000, problems: &problems) ?? dispatch.maxAttempts
            dispatch.leaseSeconds =
                section.double("lease_seconds", range: 1...3600, problems: &problems) ?? dispatch.leaseSeconds
            // A lease that can run out while its call is still waiting for Terrakube would hand the job to
            // another process mid-call. (The defaults, 30 and 10, hold.)
            if dispatch.leaseSeconds < dispatch.requestTimeoutSeconds * 2 {
                problems.append(
                    section.problem(
                        section.has("lease_seconds") ? "lease_seconds" : "request_timeout_seconds",
                        "'lease_seconds' (\(Self.format(dispatch.leaseSeconds))) must be at least twice "
                            + "'request_timeout_seconds' (\(Self.format(dispatch.requestTimeoutSeconds)))"
                    )
                )
            }
        }

        guard problems.count == before || !problems[before...].contains(where: { $0.severity == .error }),
            let terrakube
        else { return nil }
        return ServiceSettings(
            listen: listen,
            terrakube: terrakube,
            store: store,
            defaultSecrets: defaultSecrets,
            limits: limits,
            dispatch: dispatch,
            tls: tls,
            metricsRepositoryLabel: metricsRepositoryLabel,
            reloadPollSeconds: reloadPollSeconds,
            retentionDays: retentionDays,
            status: status,
            hosts: hosts,
            recovery: recovery
        )
    }

    /// `recovery`; `nil` when absent or `poll_seconds: 0` (off).
    private func recovery(_ fields: YAMLFields, problems: inout [ConfigProblem]) -> RecoverySettings? {
        guard let section = fields.mapping("recovery", problems: &problems) else { return nil }
        section.reportUnknownKeys(allowed: ["poll_seconds", "redeliver_url"], problems: &problems)
        var settings = RecoverySettings()
        settings.pollSeconds =
            section.double("poll_seconds", range: 0...86_400, problems: &problems) ?? settings.pollSeconds
        if let url = section.string("redeliver_url", problems: &problems) {
            if url.hasPrefix("https://") || url.hasPrefix("http://") {
                settings.redeliverURL = url
            } else {
                problems.append(section.problem("redeliver_url", "'redeliver_url' must start with https:// or http://"))
            }
        }
        return settings.pollSeconds > 0 ? settings : nil
    }

    /// `store`: a SQLite file, or a PostgreSQL URL from the environment or a file; exactly one.
    func store(_ section: YAMLFields, problems: inout [ConfigProblem]) -> StoreSettings? {
        section.reportUnknownKeys(allowed: Self.storeKeys, problems: &problems)
        let postgresKeys = ["postgres_url_env", "postgres_url_file"].filter { section.has($0) }
        if postgresKeys.count > 1 {
            problems.append(
                section.problem(postgresKeys[1], "give 'postgres_url_env' or 'postgres_url_file', not both")
            )
            return nil
        }
        guard let key = postgresKeys.first else {
            for postgresOnly in ["notify", "pool_size"] where section.has(postgresOnly) {
                problems.append(section.problem(postgresOnly, "'\(postgresOnly)' applies to the PostgreSQL store only"))
            }
            return section.string("sqlite", problems: &problems).map(StoreSettings.sqlite)
        }
        if section.has("sqlite") {
            problems.append(section.problem("sqlite", "give 'sqlite' or '\(key)', not both"))
            return nil
        }
        guard let url = self.secrets(section, prefix: "postgres_url", problems: &problems)?.first else { return nil }
        switch PostgresSettings.parse(String(decoding: url.bytes, as: UTF8.self)) {
        case .failure(let problem):
            problems.append(section.problem(key, "the PostgreSQL URL \(problem.message)"))
            return nil
        case .success(var settings):
            if !settings.isLoopback && settings.tls == .disable {
                problems.append(
                    section.problem(
                        key,
                        "the PostgreSQL URL connects to \(settings.host) without TLS; add ?sslmode=verify-full",
                        severity: .warning
                    )
                )
            }
            settings.notify = section.bool("notify", problems: &problems) ?? settings.notify
            settings.poolSize = section.int("pool_size", range: 1...1000, problems: &problems) ?? settings.poolSize
            return .postgres(settings)
        }
    }

    private static func format(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? "\(Int(seconds))" : "\(seconds)"
    }

    /// `tls`: both files named and readable (relative paths from the config directory).
    private func tls(_ fields: YAMLFields, problems: inout [ConfigProblem]) -> ServiceSettings.TLS? {
        guard let section = fields.mapping("tls", problems: &problems) else { return nil }
        section.reportUnknownKeys(allowed: Self.tlsKeys, problems: &problems)
        var paths: [String] = []
        for key in ["certificate_file", "key_file"] {
            guard let path = section.string(key, problems: &problems) else {
                if !section.has(key) {
                    problems.append(
                        .init(file: section.file, line: section.line, message: "missing '\(key)' (a PEM file)")
                    )
                }
                continue
            }
            let full = path.hasPrefix("/") ? path : self.directory + "/" + path
            guard FileManager.default.isReadableFile(atPath: full) else {
                problems.append(section.problem(key, "cannot read '\(path)'"))
                continue
            }
            paths.append(full)
        }
        guard paths.count == 2 else { return nil }
        return ServiceSettings.TLS(certificateFile: paths[0], keyFile: paths[1])
    }

    private func terrakube(_ fields: YAMLFields, problems: inout [ConfigProblem]) -> ServiceSettings.Terrakube? {
        guard fields.has("terrakube") else {
            problems.append(
                .init(
                    file: fields.file,
                    line: fields.line,
                    message: "missing 'terrakube' section (url, token_env, organization)"
                )
            )
            return nil
        }
        guard let section = fields.mapping("terrakube", problems: &problems) else { return nil }
        section.reportUnknownKeys(allowed: Self.terrakubeKeys, problems: &problems)

        var url = section.string("url", problems: &problems)
        if let text = url {
            if !(text.hasPrefix("http://") || text.hasPrefix("https://")) {
                problems.append(section.problem("url", "'url' must start with http:// or https://"))
                url = nil
            } else {
                // PushRelay adds /api/v1 itself; accept a URL that already ends with it rather than doubling it.
                var trimmed = text
                while trimmed.hasSuffix("/") { trimmed.removeLast() }
                if trimmed.hasSuffix("/api/v1") { trimmed.removeLast("/api/v1".count) }
                url = trimmed
            }
        } else if !section.has("url") {
            problems.append(
                .init(file: section.file, line: section.line, message: "missing 'url' (the Terrakube API host)")
            )
        }

        let token = self.secrets(section, prefix: "token", problems: &problems)
        if token == nil {
            problems.append(
                .init(
                    file: section.file,
                    line: section.line,
                    message: "missing 'token_env' or 'token_file' (a Terrakube team token)"
                )
            )
        }

        var organization = section.string("organization", problems: &problems)
        let organizationName = section.string("organization_name", problems: &problems)
        if section.has("organization") && section.has("organization_name") {
            problems.append(
                section.problem("organization_name", "give 'organization' or 'organization_name', not both")
            )
        } else if !section.has("organization") && !section.has("organization_name") {
            problems.append(
                .init(
                    file: section.file,
                    line: section.line,
                    message: "missing 'organization' (the organization id) or 'organization_name'"
                )
            )
        }
        if let text = organization, text.contains("/") {
            problems.append(section.problem("organization", "'organization' must be an id, without '/'"))
            organization = nil
        }
        if organization == nil, organizationName != nil { organization = "" }
        var uiURL = section.string("ui_url", problems: &problems)
        if let text = uiURL {
            if !(text.hasPrefix("http://") || text.hasPrefix("https://")) {
                problems.append(section.problem("ui_url", "'ui_url' must start with http:// or https://"))
                uiURL = nil
            } else {
                while uiURL?.hasSuffix("/") == true { uiURL?.removeLast() }
            }
        }
        guard let url, let first = token?.first, let organization else { return nil }
        var settings = ServiceSettings.Terrakube(
            url: url,
            token: String(decoding: first.bytes, as: UTF8.self),
            organization: organization,
            organizationName: organizationName
        )
        settings.uiURL = uiURL
        settings.notificationSecrets = self.secrets(section, prefix: "notification_secret", problems: &problems) ?? []
        return settings
    }
}
