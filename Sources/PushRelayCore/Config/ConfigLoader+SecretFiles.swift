import Foundation
import Yams

extension ConfigLoader {
    /// The files that `secret_file` and `token_file` name in one config file, as absolute paths, read
    /// without validating anything else. A reload watches them besides the directory, so that a Kubernetes
    /// Secret mounted as files (swapped by kubelet like a ConfigMap) is picked up when it is rotated.
    package func secretFiles(namedIn file: String) -> [String] {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8),
            // Most files name none: not worth parsing then.
            text.contains("_file"),
            let root = (try? Yams.compose(yaml: text))?.mapping
        else { return [] }
        let terrakube = root["terrakube"]?.mapping
        let found =
            Self.paths(root["secret_file"]) + Self.paths(terrakube?["token_file"])
            + Self.paths(terrakube?["notification_secret_file"])
        return found.map { $0.hasPrefix("/") ? $0 : self.directory + "/" + $0 }
    }

    /// A path, or a list of them.
    private static func paths(_ node: Node?) -> [String] {
        if let path = node?.string { return [path] }
        return node?.sequence?.compactMap(\.string) ?? []
    }
}
