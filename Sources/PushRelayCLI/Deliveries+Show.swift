import ArgumentParser
import PushRelayCore

extension PushRelayCommand.Deliveries {
    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show one delivery: headers (without secrets), decision, and each job's attempts."
        )

        @OptionGroup var store: StoreOptions

        @Argument(help: "The delivery id (or provider:id).")
        var id: String

        func run() async throws {
            let delivery = try await self.store.withInspector { try await self.store.delivery(self.id, in: $0) }
            print(DeliveryReport.detail(delivery))
        }
    }
}
