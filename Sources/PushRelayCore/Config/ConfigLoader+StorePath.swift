import Foundation
import Yams

extension ConfigLoader {
    /// The store file `serve` would open, read without resolving secrets, so that `deliveries` works
    /// where the webhook secrets and Terrakube token are not in the environment.
    package func storePath() throws(ConfigLoadError) -> String {
        let file = self.directory + "/pushrelay.yaml"
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw ConfigLoadError(problems: [.init(file: file, line: nil, message: "file not found or unreadable")])
        }
        guard let root = try? Yams.compose(yaml: text) else {
            throw ConfigLoadError(problems: [
                .init(file: file, line: nil, message: "invalid YAML; run 'pushrelay check'")
            ])
        }
        return root.mapping?["store"]?.mapping?["sqlite"]?.string ?? ServiceSettings.defaultSQLitePath
    }
}
