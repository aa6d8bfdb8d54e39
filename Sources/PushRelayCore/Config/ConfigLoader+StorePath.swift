import Foundation
import Yams

extension ConfigLoader {
    /// The store `serve` would open, read without resolving any other secret, so that `deliveries` works
    /// where the webhook secrets and Terrakube token are not in the environment (the PostgreSQL URL must be).
    package func storeSettings() throws(ConfigLoadError) -> StoreSettings {
        let file = self.directory + "/pushrelay.yaml"
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw ConfigLoadError(problems: [.init(file: file, line: nil, message: "file not found or unreadable")])
        }
        guard let root = try? Yams.compose(yaml: text) else {
            throw ConfigLoadError(problems: [
                .init(file: file, line: nil, message: "invalid YAML; run 'pushrelay check'")
            ])
        }
        var problems: [ConfigProblem] = []
        guard let fields = YAMLFields(root, file: file, what: "pushrelay.yaml", problems: &problems),
            let section = fields.mapping("store", problems: &problems)
        else {
            guard problems.isEmpty else { throw ConfigLoadError(problems: problems) }
            return .sqlite(ServiceSettings.defaultSQLitePath)
        }
        let store = self.store(section, problems: &problems)
        let errors = problems.filter { $0.severity == .error }
        guard errors.isEmpty else { throw ConfigLoadError(problems: errors) }
        return store ?? .sqlite(ServiceSettings.defaultSQLitePath)
    }
}
