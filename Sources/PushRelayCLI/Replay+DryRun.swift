import PushRelayCore

extension PushRelayCommand.Replay {
    /// The dry run: each file's decision per changed ref, and the Terrakube requests it would make.
    func evaluate(
        _ files: [String],
        config: RelayConfig,
        summary: inout ReplaySummary,
        progress: inout ReplayProgress
    ) {
        for file in files {
            defer { progress.advance() }
            guard let input = self.input(file, summary: &summary) else { continue }
            let evaluation: ReplayEvaluation
            do {
                evaluation = try ReplayEvaluation.evaluate(input, config: config)
            } catch {
                self.unreadable(file, error, summary: &summary)
                continue
            }
            for ref in evaluation.refs { summary.count(ref.decision.rawValue) }
            guard !self.quiet else { continue }
            progress.print(
                self.json
                    ? evaluation.jsonLines(file: file).joined(separator: "\n")
                    : ReplayReport.text(evaluation, file: file)
            )
        }
    }
}
