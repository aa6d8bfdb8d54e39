import ArgumentParser
import Foundation
import PushRelayCore
import PushRelayStore

extension PushRelayCommand.Deliveries {
    struct Redeliver: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue a delivery's jobs again, on purpose: each becomes a new Terrakube job.",
            discussion: "A running 'serve' picks them up within a second; otherwise they are sent at its next start."
        )

        @OptionGroup var store: StoreOptions

        @Argument(help: "The delivery id (or provider:id).")
        var id: String

        func run() async throws {
            let count = try await self.store.withStore { store in
                let delivery = try await self.store.delivery(self.id, in: store)
                return try await store.requeueWork(
                    provider: delivery.summary.provider,
                    deliveryID: delivery.summary.deliveryID
                )
            }
            print(
                count == 0
                    ? "delivery \(self.id) has no jobs to queue" : "queued \(count) job\(count == 1 ? "" : "s") again"
            )
        }
    }
}
