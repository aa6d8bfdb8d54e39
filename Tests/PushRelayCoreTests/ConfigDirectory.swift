import Foundation

/// A config directory in a fresh temporary folder, removed when the test is done with it.
struct ConfigDirectory {
    let path: String

    init(service: String, repos: [String: String]) throws {
        self.path = NSTemporaryDirectory() + "pushrelay-config-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: self.path + "/repos", withIntermediateDirectories: true)
        try service.write(toFile: self.path + "/pushrelay.yaml", atomically: true, encoding: .utf8)
        for (name, text) in repos {
            try text.write(toFile: self.path + "/repos/" + name, atomically: true, encoding: .utf8)
        }
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: self.path)
    }

    static let service = """
        listen: "127.0.0.1:0"
        terrakube:
          url: "http://127.0.0.1:9/api/v1/"
          token_env: TK_TOKEN
          organization: "org-1"
        store:
          sqlite: "data/test.sqlite"
        secret_env: DEFAULT_SECRET
        """

    static let environment = [
        "TK_TOKEN": "token-1", "DEFAULT_SECRET": "default-secret", "INFRA_SECRET": "infra-secret",
    ]
}
