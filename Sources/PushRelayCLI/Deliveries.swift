import ArgumentParser
import Logging
import PushRelayCore
import PushRelayStore

extension PushRelayCommand {
    struct Deliveries: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Inspect the store: recent deliveries, one delivery in full, export, redeliver.",
            discussion: """
                Reads the SQLite file named by store.sqlite in pushrelay.yaml (or --store). Safe to run while \
                'serve' is running. A delivery is named by the provider's delivery id, optionally prefixed \
                with its provider (github:ID) when two providers used the same id.
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

    func open() async throws -> SQLiteDeliveryStore {
        let path = try self.store ?? ConfigLoader(directory: self.config).storePath()
        var logger = Logger(label: "pushrelay")
        logger.logLevel = .error
        return try await SQLiteDeliveryStore.open(path: path, logger: logger)
    }

    /// Runs `body` with the store open, closing it whatever happens.
    func withStore<T>(_ body: (SQLiteDeliveryStore) async throws -> T) async throws -> T {
        let store = try await self.open()
        do {
            let result = try await body(store)
            try await store.close()
            return result
        } catch {
            try? await store.close()
            throw error
        }
    }

    /// The one stored delivery `reference` names (`ID` or `provider:ID`).
    func delivery(_ reference: String, in store: SQLiteDeliveryStore) async throws -> StoredDelivery {
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
