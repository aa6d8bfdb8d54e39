import Foundation
import Yams

extension ConfigLoader {
    /// The files that `secret_file` and `token_file` name, as absolute paths, read without validating
    /// anything else. A reload watches them besides the directory, so that a Kubernetes Secret mounted as
    /// files (swapped by kubelet like a ConfigMap) is picked up when it is rotated.
    package func secretFiles() -> [String] {
        var ignored: [ConfigProblem] = []
        var found: [String] = []
        for file in [self.directory + "/pushrelay.yaml"] + self.repositoryFiles(problems: &ignored) {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8),
                let root = (try? Yams.compose(yaml: text))?.mapping
            else { continue }
            let terrakube = root["terrakube"]?.mapping
            found +=
                Self.paths(root["secret_file"]) + Self.paths(terrakube?["token_file"])
                + Self.paths(terrakube?["notification_secret_file"])
        }
        return found.map { $0.hasPrefix("/") ? $0 : self.directory + "/" + $0 }
    }

    /// A path, or a list of them.
    private static func paths(_ node: Node?) -> [String] {
        if let path = node?.string { return [path] }
        return node?.sequence?.compactMap(\.string) ?? []
    }
}
