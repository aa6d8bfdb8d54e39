import ArgumentParser
import Logging
import PushRelayCore
import PushRelayServer
import PushRelayStore

extension PushRelayCommand {
    struct Deliveries: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Inspect the store: recent deliveries, one delivery in full, export, redeliver.",
            discussion: """
                Reads the store named in pushrelay.yaml (or the SQLite file --store names): store.sqlite, or \
                the PostgreSQL database of store.postgres_url_env / postgres_url_file, whose variable or file \
                must then be there. Safe to run while 'serve' is running: list, show and export only read \
                (they take no lock and never migrate the schema). A delivery is named by the provider's \
                delivery id, optionally prefixed with its provider (github:ID) when two providers used the \
                same id. What is kept: every delivery's headers, body and decision, with its work and the \
                attempts, until serve prunes it (store.retention_days, 30 by default, once its work is done); \
                a delivery for a repository no config names keeps no body.
                """,
            subcommands: [List.self, Show.self, Export.self, Redeliver.self]
        )
    }
}

/// Options shared by the `deliveries` subcommands.
struct StoreOptions: ParsableArguments {
    @Option(
        name: [.customShort("c"), .long],
        help: ArgumentHelp("The config directory, for the store's location.", valueName: "dir")
    )
    var config: String = "./config"

    @Option(help: ArgumentHelp("The SQLite store file; overrides the config.", valueName: "file"))
    var store: String?

    private func settings() throws -> StoreSettings {
        if let path = self.store { return .sqlite(path) }
        return try ConfigLoader(directory: self.config).storeSettings()
    }

    private var logger: Logger {
        var logger = Logger(label: "pushrelay")
        logger.logLevel = .error
        return logger
    }

    /// Runs `body` with the store open for reading, closing it whatever happens.
    func withInspector<T: Sendable>(_ body: (any DeliveryInspector) async throws -> T) async throws -> T {
        try await PushRelayCLI.withInspector(try self.settings(), logger: self.logger, body)
    }

    /// Runs `body` with the store open for writing (it migrates an older schema), closing it whatever happens.
    func withStore<T: Sendable>(_ body: (any ServedStore) async throws -> T) async throws -> T {
        try await PushRelayCLI.withStore(try self.settings(), access: .write, logger: self.logger, body)
    }

    /// The one stored delivery `reference` names (`ID` or `provider:ID`).
    func delivery(_ reference: String, in store: any DeliveryInspector) async throws -> StoredDelivery {
        var provider: ProviderKind? = nil
        var id = reference
        if let colon = reference.firstIndex(of: ":"), let kind = ProviderKind(rawValue: String(reference[..<colon])) {
            provider = kind
            id = String(reference[reference.index(after: colon)...])
        }
        let found = try await store.deliveries(withID: id, provider: provider)
        guard let first = found.first else { throw CommandFailure("no delivery with id '\(reference)'") }
        guard found.count == 1 else {
            let names = found.map { "\($0.summary.provider.rawValue):\(id)" }.joined(separator: ", ")
            throw CommandFailure("several deliveries have id '\(id)'; name one of: \(names)")
        }
        return first
    }
}

/// A command that could not do its work; ArgumentParser prints it and exits 1 (not 64: the usage was fine).
struct CommandFailure: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
