import Foundation
import PushRelayCore

extension PushRelayCommand.Replay {
    /// `--to`: each readable file sent to the listener, and its answer printed.
    func send(
        _ files: [String],
        config: RelayConfig,
        to baseURL: String,
        summary: inout ReplaySummary,
        progress: inout ReplayProgress
    ) async {
        var requests: [(file: String, request: ReplayRequest)] = []
        for file in files {
            guard let input = self.input(file, summary: &summary) else {
                progress.advance()
                continue
            }
            do {
                let fresh = self.keepDeliveryID ? nil : UUID().uuidString.lowercased()
                requests.append((file, try ReplayRequest.make(input, config: config, freshDeliveryID: fresh)))
            } catch {
                self.unreadable(file, error, summary: &summary)
                progress.advance()
            }
        }
        let sender = ReplaySender(baseURL: baseURL, concurrency: self.concurrency, rate: self.rate)
        await sender.send(requests) { file, request, answer in
            summary.count(answer.label)
            if !answer.succeeded { summary.refused.append("\(file) (\(answer.label))") }
            progress.advance()
            if self.quiet {
                if !answer.succeeded { progress.print(ReplayReport.text(answer, file: file, request: request)) }
            } else {
                progress.print(
                    self.json
                        ? ReplayReport.json(answer, file: file, request: request)
                        : ReplayReport.text(answer, file: file, request: request)
                )
            }
        }
    }
}
