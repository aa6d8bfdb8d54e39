/// Exponential backoff with full jitter (a random delay from zero to the exponential cap), so that many
/// jobs failing together do not retry together.
package struct RetryPolicy: Sendable, Equatable {
    package var baseDelay: Duration
    package var maxDelay: Duration
    package var maxAttempts: Int

    package init(baseDelay: Duration = .seconds(1), maxDelay: Duration = .seconds(300), maxAttempts: Int = 20) {
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxAttempts = maxAttempts
    }

    /// The wait before attempt `attempts + 1`, given `attempts` failures so far.
    /// - Parameter retryAfter: the server's `Retry-After`, honoured as a floor.
    package func delay(
        afterAttempts attempts: Int,
        retryAfter: Duration? = nil,
        using generator: inout some RandomNumberGenerator
    ) -> Duration {
        let exponent = min(max(attempts - 1, 0), 30)
        let capSeconds = min(self.baseDelay.seconds * Double(1 << exponent), self.maxDelay.seconds)
        let jittered = Duration.seconds(Double.random(in: 0...capSeconds, using: &generator))
        guard let retryAfter else { return jittered }
        return max(jittered, min(retryAfter, self.maxDelay))
    }

    package func delay(afterAttempts attempts: Int, retryAfter: Duration? = nil) -> Duration {
        var generator = SystemRandomNumberGenerator()
        return self.delay(afterAttempts: attempts, retryAfter: retryAfter, using: &generator)
    }
}

extension Duration {
    package var seconds: Double {
        let parts = self.components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
