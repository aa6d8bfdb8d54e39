import ArgumentParser
import Foundation
import PushRelayCore
import PushRelayStore

extension PushRelayCommand.Deliveries {
    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List recent deliveries with their decision, job states and Terrakube job ids."
        )

        @OptionGroup var store: StoreOptions

        @Option(help: "How many deliveries, newest first.")
        var limit: Int = 50

        @Flag(help: "One JSON object per line instead of a table.")
        var json = false

        func run() async throws {
            let deliveries = try await self.store.withInspector { try await $0.recentDeliveries(limit: self.limit) }
            if self.json {
                for delivery in deliveries { print(DeliveryReport.json(delivery)) }
            } else {
                print(DeliveryReport.table(deliveries))
            }
        }
    }
}
