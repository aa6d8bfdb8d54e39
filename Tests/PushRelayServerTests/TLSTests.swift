import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import PushRelayCore
import PushRelayFixtures
import PushRelayServer
import PushRelayStore
import PushRelayTestSupport
import Testing

/// TLS termination when the config names a certificate and key: a signed delivery over HTTPS becomes its job.
@Suite(.timeLimit(.minutes(2)))
struct TLSTests {
    @Test func deliveryOverHTTPSIsQueued() async throws {
        let certificate = try TestCertificate()
        let folder = NSTemporaryDirectory() + "pushrelay-tls-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try certificate.certificatePEM.write(toFile: folder + "/tls.crt", atomically: true, encoding: .utf8)
        try certificate.privateKeyPEM.write(toFile: folder + "/tls.key", atomically: true, encoding: .utf8)
        let service = "tls:\n  certificate_file: \(folder)/tls.crt\n  key_file: \(folder)/tls.key"

        try await RelayHarness.run(service: service) { relay in
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.trustRoots = .certificates([
                try NIOSSLCertificate(bytes: Array(certificate.certificatePEM.utf8), format: .pem)
            ])
            let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
            let httpsURL = relay.baseURL.replacingOccurrences(of: "http://127.0.0.1", with: "https://localhost")
            do {
                let body = Fixture.load("github", "go-scm-push").body
                var request = HTTPClientRequest(url: httpsURL + "/hooks/github")
                request.method = .POST
                for (name, value) in RelayHarness.github(body, delivery: "tls-1") {
                    request.headers.add(name: name, value: value)
                }
                request.body = .bytes(body)
                let response = try await client.execute(request, timeout: .seconds(10))
                #expect(response.status.code == 202)
                #expect(try await relay.job("tls-1", reaching: .done) != nil)

                // Plain HTTP to the TLS port gets no answer.
                await #expect(throws: (any Error).self) { _ = try await relay.get("/healthz") }
            } catch {
                try? await client.shutdown()
                throw error
            }
            try await client.shutdown()
        }
    }

    /// A file that exists but is not PEM is found at start: `serve` stops with the reason (before this
    /// was checked first, the HTTP client already made was dropped unclosed, which traps).
    @Test func certificateThatIsNotPEMStopsTheStart() async throws {
        let directory = NSTemporaryDirectory() + "pushrelay-tls-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory + "/repos", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "not a certificate\n".write(toFile: directory + "/tls.pem", atomically: true, encoding: .utf8)
        try """
        terrakube:
          url: "http://127.0.0.1:9"
          token_env: TK_TOKEN
          organization: org-1
        store:
          sqlite: "\(directory)/pushrelay.sqlite"
        secret_env: DEFAULT_SECRET
        tls:
          certificate_file: tls.pem
          key_file: tls.pem
        """.write(toFile: directory + "/pushrelay.yaml", atomically: true, encoding: .utf8)
        let config = try ConfigLoader(directory: directory, environment: RelayHarness.environment).load()
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let store = try await SQLiteDeliveryStore.open(path: config.settings.store.sqlitePath ?? "", logger: logger)
        #expect(throws: (any Error).self) { _ = try buildServiceGroup(config: config, store: store, logger: logger) }
        try await store.close()
    }

    @Test func unreadableCertificateIsAConfigProblem() throws {
        let directory = NSTemporaryDirectory() + "pushrelay-tls-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory + "/repos", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try """
        terrakube:
          url: "http://127.0.0.1:9"
          token_env: TK_TOKEN
          organization: org-1
        secret_env: DEFAULT_SECRET
        tls:
          certificate_file: missing.crt
        """.write(toFile: directory + "/pushrelay.yaml", atomically: true, encoding: .utf8)
        let (_, problems) = ConfigLoader(directory: directory, environment: RelayHarness.environment).validate()
        let messages = problems.map(\.description)
        #expect(messages.contains { $0.hasSuffix("pushrelay.yaml:7: cannot read 'missing.crt'") }, "\(messages)")
        #expect(messages.contains { $0.contains("pushrelay.yaml:7: missing 'key_file'") }, "\(messages)")
    }
}
