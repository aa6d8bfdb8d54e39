import Foundation
import Synchronization
import Yams

/// Loads and validates a config directory: `pushrelay.yaml` and `repos/*.yaml`.
///
/// `serve`, `check` and `replay` all use this one loader, so what `check` accepts is what `serve` runs.
package struct ConfigLoader: Sendable {
    package var directory: String
    /// Where `*_env` settings are looked up; the process environment outside tests.
    package var environment: [String: String]
    /// What earlier loads made of each repository file, reused for those that have not changed.
    package var cache: RepositoryFileCache?

    package init(
        directory: String,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        cache: RepositoryFileCache? = nil
    ) {
        self.directory = directory.hasSuffix("/") && directory.count > 1 ? String(directory.dropLast()) : directory
        self.environment = environment
        self.cache = cache
    }

    /// - Returns: the config, with its warnings.
    /// - Throws: ``ConfigLoadError`` listing every problem (warnings included) when there is any error.
    package func load() throws(ConfigLoadError) -> RelayConfig {
        let (config, problems) = self.validate()
        guard let config, !problems.contains(where: { $0.severity == .error }) else {
            throw ConfigLoadError(problems: problems)
        }
        return config
    }

    /// Every problem in the directory, in file order; the config when it has no error.
    package func validate() -> (RelayConfig?, [ConfigProblem]) {
        var problems: [ConfigProblem] = []
        let servicePath = self.directory + "/pushrelay.yaml"
        let serviceRoot = self.parseDocument(at: servicePath, problems: &problems)
        let settings = serviceRoot.flatMap { self.serviceSettings(from: $0, file: servicePath, problems: &problems) }
        // A default secret that is declared but failed to resolve is already reported once; do not
        // report every repository that relies on it as well.
        let defaultDeclared = serviceRoot?.mapping.map { $0["secret_env"] != nil || $0["secret_file"] != nil } ?? false
        var repositories: [RepositoryConfig] = []
        // The first repository of each identity and of each path: a check per file, not a scan.
        var byIdentity: [RepositoryIdentity: RepositoryConfig] = [:]
        var byPath: [String: RepositoryConfig] = [:]
        let defaults = settings?.defaultSecrets ?? (defaultDeclared ? [WebhookSecret("unresolved")] : [])
        let paths = self.repositoryFiles(problems: &problems)
        self.cache?.keepOnly(Set(paths))
        for (path, (parsed, own)) in zip(paths, self.repositories(at: paths, defaults: defaults)) {
            problems += own
            guard let repository = parsed else { continue }
            if let earlier = byIdentity[repository.identity] {
                problems.append(
                    .init(
                        file: path,
                        line: 1,
                        message: "repository \(repository.identity) is already configured in \(earlier.file)"
                    )
                )
                continue
            }
            if let samePath = byPath[repository.identity.path] {
                problems.append(
                    .init(
                        file: path,
                        line: 1,
                        message:
                            "path \(repository.identity.path) is also configured for \(samePath.identity.host) in \(samePath.file): a delivery that names no host (Bitbucket Data Center) matches that one",
                        severity: .warning
                    )
                )
            }
            repositories.append(repository)
            byIdentity[repository.identity] = repository
            if byPath[repository.identity.path] == nil { byPath[repository.identity.path] = repository }
        }
        guard let settings, !problems.contains(where: { $0.severity == .error }) else { return (nil, problems) }
        problems += Self.anonymousRecovery(settings, repositories: repositories, servicePath: servicePath)
        let warnings = problems.filter { $0.severity == .warning }
        return (RelayConfig(settings: settings, repositories: repositories, warnings: warnings), problems)
    }

    /// One warning per host whose repositories recovery cannot read with credentials (no `hosts` entry):
    /// on a known public host, public ones are read anonymously and private ones fail; on any other, the
    /// kind is unknown and none is read.
    private static func anonymousRecovery(
        _ settings: ServiceSettings,
        repositories: [RepositoryConfig],
        servicePath: String
    ) -> [ConfigProblem] {
        guard settings.recovery != nil else { return [] }
        var counts: [String: Int] = [:]
        for repository in repositories where repository.recovers && settings.hosts[repository.identity.host] == nil {
            counts[repository.identity.host, default: 0] += 1
        }
        return counts.sorted { $0.key < $1.key }.map { host, number in
            let count = number == 1 ? "1 repository" : "\(number) repositories"
            let message =
                RecoveryTarget.publicHosts[host] != nil
                ? "recovery reads \(count) on \(host) without credentials (no 'hosts' entry): private ones cannot be read"
                : "recovery skips \(count) on \(host.isEmpty ? "a host not named" : host): no 'hosts' entry says what kind of host it is"
            return ConfigProblem(file: servicePath, line: nil, message: message, severity: .warning)
        }
    }

    /// `repos/*.yaml` and `*.yml`, sorted so problems come out in a stable order.
    package func repositoryFiles(problems: inout [ConfigProblem]) -> [String] {
        let reposDirectory = self.directory + "/repos"
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: reposDirectory, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            problems.append(
                .init(
                    file: reposDirectory,
                    line: nil,
                    message: "no repos/ directory: no repository is configured",
                    severity: .warning
                )
            )
            return []
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: reposDirectory)) ?? []
        // Kubernetes ConfigMap volumes hold `..data` and dot-prefixed timestamp folders: skip hidden entries.
        return names.filter { !$0.hasPrefix(".") && ($0.hasSuffix(".yaml") || $0.hasSuffix(".yml")) }
            .sorted()
            .map { reposDirectory + "/" + $0 }
    }

    /// Every repository file, in the order given, read and parsed on all cores: with thousands of files,
    /// YAML parsing is most of a load (`check`, start-up). Each file's problems are its own.
    private func repositories(
        at paths: [String],
        defaults: [WebhookSecret]
    ) -> [(RepositoryConfig?, [ConfigProblem])] {
        let chunk = 64
        let chunks = (paths.count + chunk - 1) / chunk
        let results = Mutex<[Int: [(RepositoryConfig?, [ConfigProblem])]]>([:])
        DispatchQueue.concurrentPerform(iterations: chunks) { index in
            var parsed: [(RepositoryConfig?, [ConfigProblem])] = []
            for path in paths[index * chunk..<min((index + 1) * chunk, paths.count)] {
                var problems: [ConfigProblem] = []
                let repository = self.repository(at: path, defaults: defaults, problems: &problems)
                parsed.append((repository, problems))
            }
            results.withLock { $0[index] = parsed }
        }
        return results.withLock { results in (0..<chunks).flatMap { results[$0] ?? [] } }
    }

    /// One repository file, parsed, or as the cache has it when neither it nor the default secrets changed.
    private func repository(
        at path: String,
        defaults: [WebhookSecret],
        problems: inout [ConfigProblem]
    ) -> RepositoryConfig? {
        guard let text = self.readText(at: path, problems: &problems) else { return nil }
        if let entry = self.cache?.entry(path, text: text, defaults: defaults) {
            problems += entry.problems
            return entry.repository
        }
        var own: [ConfigProblem] = []
        let root = self.parse(text, at: path, problems: &own)
        let repository = root.flatMap {
            self.repository(from: $0, file: path, defaultSecrets: defaults, problems: &own)
        }
        problems += own
        // A secret file may change behind an unchanged text: such a file is parsed at each load.
        if root?.mapping?["secret_file"] == nil {
            self.cache?.keep(
                path,
                RepositoryFileCache.Entry(text: text, defaults: defaults, repository: repository, problems: own)
            )
        }
        return repository
    }

    private func readText(at path: String, problems: inout [ConfigProblem]) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            let exists = FileManager.default.fileExists(atPath: path)
            problems.append(
                .init(file: path, line: nil, message: exists ? "cannot read file as UTF-8 text" : "file not found")
            )
            return nil
        }
        return text
    }

    private func parseDocument(at path: String, problems: inout [ConfigProblem]) -> Node? {
        self.readText(at: path, problems: &problems).flatMap { self.parse($0, at: path, problems: &problems) }
    }

    private func parse(_ text: String, at path: String, problems: inout [ConfigProblem]) -> Node? {
        do {
            guard let node = try Yams.compose(yaml: text) else {
                problems.append(.init(file: path, line: 1, message: "file is empty"))
                return nil
            }
            return node
        } catch let error as YamlError {
            problems.append(Self.problem(from: error, file: path))
            return nil
        } catch {
            problems.append(.init(file: path, line: nil, message: "invalid YAML"))
            return nil
        }
    }

    private static func problem(from error: YamlError, file: String) -> ConfigProblem {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let detail = context.map { "\($0.text): \(problem)" } ?? problem
            return .init(file: file, line: mark.line, message: "invalid YAML: \(detail)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return .init(
                file: file,
                line: context.mark.line,
                message: "duplicate key \(duplicates.map { "'\($0)'" }.joined(separator: ", "))"
            )
        default:
            return .init(file: file, line: nil, message: "invalid YAML: \(error)")
        }
    }

    /// Resolves `<prefix>_env` and `<prefix>_file` (each a string or a list) to secrets.
    /// - Returns: `nil` when neither key is present; otherwise the secrets that resolved.
    func secrets(
        _ fields: YAMLFields,
        prefix: String,
        problems: inout [ConfigProblem]
    ) -> [WebhookSecret]? {
        let envKey = prefix + "_env"
        let fileKey = prefix + "_file"
        guard fields.has(envKey) || fields.has(fileKey) else { return nil }
        var resolved: [WebhookSecret] = []
        for (name, line) in fields.strings(envKey, problems: &problems) ?? [] {
            guard Self.isEnvironmentName(name) else {
                problems.append(
                    .init(file: fields.file, line: line, message: "'\(name)' is not an environment variable name")
                )
                continue
            }
            if let value = SecretSource.environment(name).resolve(
                environment: self.environment,
                baseDirectory: self.directory
            ) {
                resolved.append(WebhookSecret(value))
            } else {
                problems.append(
                    .init(file: fields.file, line: line, message: "environment variable \(name) is not set or empty")
                )
            }
        }
        for (path, line) in fields.strings(fileKey, problems: &problems) ?? [] {
            if let value = SecretSource.file(path).resolve(environment: self.environment, baseDirectory: self.directory)
            {
                resolved.append(WebhookSecret(value))
            } else {
                problems.append(
                    .init(file: fields.file, line: line, message: "secret file \(path) is missing, unreadable or empty")
                )
            }
        }
        return resolved
    }

    private static func isEnvironmentName(_ name: String) -> Bool {
        guard let first = name.utf8.first, first != UInt8(ascii: "0"), !(48...57).contains(first) else { return false }
        return name.utf8.allSatisfy {
            $0 == UInt8(ascii: "_") || (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0)
        }
    }
}
