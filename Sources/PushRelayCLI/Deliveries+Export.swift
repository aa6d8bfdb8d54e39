import ArgumentParser
import Foundation
import PushRelayCore

extension PushRelayCommand.Deliveries {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a delivery as a saved-delivery file, for 'replay'.",
            discussion: "The file holds the headers as received (less any that carried a secret) and the exact body."
        )

        @OptionGroup var store: StoreOptions

        @Argument(help: "The delivery id (or provider:id).")
        var id: String

        @Option(
            name: .shortAndLong,
            help: ArgumentHelp("Write to this file instead of standard output.", valueName: "file")
        )
        var output: String?

        func run() async throws {
            let delivery = try await self.store.withInspector { try await self.store.delivery(self.id, in: $0) }
            let bytes = SavedDelivery(delivery).encoded()
            if let output = self.output {
                try Data(bytes).write(to: URL(fileURLWithPath: output))
            } else {
                FileHandle.standardOutput.write(Data(bytes))
            }
        }
    }
}
