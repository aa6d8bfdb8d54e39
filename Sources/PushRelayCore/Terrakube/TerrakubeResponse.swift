import Foundation

/// Reads Terrakube's answer to a job creation: the job id, or a failure sorted by what to do about it.
package enum TerrakubeResponse {
    /// Only a `201` is a creation (SPEC section 4). Another `2xx` is not what Terrakube answers, so whether a
    /// job exists is unknown: the retry looks first (the crash-window rule) rather than trust its body.
    package static func jobID(
        status: Int,
        retryAfter: String?,
        location: String? = nil,
        body: [UInt8]
    ) throws(TerrakubeFailure) -> String {
        switch status {
        case 201:
            guard let document = try? JSONDecoder().decode(Created.self, from: Data(body)) else {
                // The job may exist: fail loudly rather than retry into a second one.
                throw .permanent(status: status, detail: "answer had no job id (data.id)")
            }
            return document.data.id.value
        case 200...299:
            throw .retryable(
                status: status,
                reason: "a job creation was answered \(status), not 201; looking before sending again",
                retryAfter: nil,
                outcomeUnknown: true
            )
        default:
            throw self.failure(status: status, retryAfter: retryAfter, location: location, body: body)
        }
    }

    /// The jobs of a `GET …/job?filter[job]=…` answer.
    package static func jobList(
        status: Int,
        retryAfter: String?,
        location: String? = nil,
        body: [UInt8]
    ) throws(TerrakubeFailure)
        -> [TerrakubeJobSummary]
    {
        switch status {
        case 200:
            guard let document = try? JSONDecoder().decode(Listed.self, from: Data(body)) else {
                throw .retryable(status: status, reason: "unreadable job list", retryAfter: nil)
            }
            return document.data.map(self.summary)
        default:
            throw self.failure(status: status, retryAfter: retryAfter, location: location, body: body)
        }
    }

    /// `GET …/job/{id}`: the job, or `nil` for a `404` (Terrakube has no such job, or no longer).
    package static func job(
        status: Int,
        retryAfter: String?,
        location: String? = nil,
        body: [UInt8]
    ) throws(TerrakubeFailure) -> TerrakubeJobSummary? {
        switch status {
        case 200:
            guard let document = try? JSONDecoder().decode(One.self, from: Data(body)) else {
                throw .retryable(status: status, reason: "unreadable job", retryAfter: nil)
            }
            return self.summary(document.data)
        case 404:
            return nil
        default:
            throw self.failure(status: status, retryAfter: retryAfter, location: location, body: body)
        }
    }

    private static func summary(_ job: Listed.Resource) -> TerrakubeJobSummary {
        TerrakubeJobSummary(
            id: job.id.value,
            createdAt: job.attributes?.createdDate.flatMap(self.timestamp),
            workspace: job.relationships?.workspace?.data?.id,
            templateReference: job.attributes?.templateReference,
            overrideBranch: job.attributes?.overrideBranch,
            commitID: job.attributes?.commitId,
            status: job.attributes?.status
        )
    }

    /// Any answer other than success: `408`, `429` and `5xx` are worth retrying (not before `Retry-After`);
    /// so is a redirect, which is never followed (it would turn a POST into a GET, or send the job and its
    /// token to another origin) and says `terrakube.url` needs fixing; any other status is final, with
    /// Terrakube's `errors[0].detail`.
    package static func failure(
        status: Int,
        retryAfter: String?,
        location: String? = nil,
        body: [UInt8]
    ) -> TerrakubeFailure {
        switch status {
        case 300...399:
            .retryable(
                status: status,
                reason: "terrakube.url redirects to \(self.origin(of: location)), which is not followed; "
                    + "set terrakube.url to where it points",
                retryAfter: nil
            )
        case 408, 429, 500...599:
            .retryable(
                status: status,
                reason: self.detail(from: body) ?? "Terrakube is unavailable",
                retryAfter: self.retryAfter(retryAfter)
            )
        default:
            .permanent(status: status, detail: self.detail(from: body) ?? "no error detail")
        }
    }

    /// `data[0].id` of a filtered list (a lookup by name); `nil` when the list is empty.
    package static func firstID(
        status: Int,
        retryAfter: String?,
        location: String? = nil,
        body: [UInt8]
    ) throws(TerrakubeFailure) -> String? {
        try self.jobList(status: status, retryAfter: retryAfter, location: location, body: body).first?.id
    }

    /// A redirect's target as far as an operator needs it: scheme, host, port and path, never a query or
    /// credentials that may be in it.
    static func origin(of location: String?) -> String {
        guard let location, var components = URLComponents(string: location) else { return "an unnamed place" }
        components.user = nil
        components.password = nil
        components.query = nil
        components.fragment = nil
        return components.string ?? "an unnamed place"
    }

    /// Terrakube's dates, with or without fractional seconds.
    package static func timestamp(_ text: String) -> Double? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date.timeIntervalSince1970 }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)?.timeIntervalSince1970
    }

    /// `errors[0].detail` of a JSON:API error document.
    package static func detail(from body: [UInt8]) -> String? {
        guard let document = try? JSONDecoder().decode(Errors.self, from: Data(body)) else { return nil }
        return document.errors.first?.detail ?? document.errors.first?.title
    }

    /// `Retry-After` as delta-seconds or an HTTP date.
    package static func retryAfter(_ value: String?, now: Date = Date()) -> Duration? {
        guard let value = value?.trimmingCharacters(in: .whitespaces), !value.isEmpty else { return nil }
        if let seconds = Int(value) { return .seconds(max(seconds, 0)) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return .seconds(max(date.timeIntervalSince(now), 0))
    }

    private struct Created: Decodable {
        struct Resource: Decodable {
            var id: FlexibleID
        }

        var data: Resource
    }

    private struct Listed: Decodable {
        struct Resource: Decodable {
            struct Attributes: Decodable {
                var createdDate: String?
                var templateReference: String?
                var overrideBranch: String?
                var commitId: String?
                var status: String?
            }

            struct Relationships: Decodable {
                struct ToOne: Decodable {
                    struct Identifier: Decodable {
                        var id: String
                    }

                    var data: Identifier?
                }

                var workspace: ToOne?
            }

            var id: FlexibleID
            var attributes: Attributes?
            var relationships: Relationships?
        }

        var data: [Resource]
    }

    private struct One: Decodable {
        var data: Listed.Resource
    }

    /// Terrakube sends the integer id as a string; accept a bare number too.
    private struct FlexibleID: Decodable {
        var value: String

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let text = try? container.decode(String.self) {
                self.value = text
            } else {
                self.value = String(try container.decode(Int.self))
            }
        }
    }

    private struct Errors: Decodable {
        struct Entry: Decodable {
            var detail: String?
            var title: String?
        }

        var errors: [Entry]
    }
}

extension TerrakubeResponse {
    /// One step of a job, as `GET …/job/{id}?include=step` includes it.
    package struct Step: Sendable, Equatable {
        package var number: Int
        package var name: String?
        package var status: String?
        /// Where its console output is read: a URL under `/tfoutput/v1/…` on the API host.
        package var output: String?
    }

    /// The steps a job's answer includes, in step order.
    package static func steps(in body: [UInt8]) -> [Step] {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any],
            let included = object["included"] as? [[String: Any]]
        else { return [] }
        return included.compactMap { item -> Step? in
            guard item["type"] as? String == "step", let attributes = item["attributes"] as? [String: Any] else {
                return nil
            }
            return Step(
                number: attributes["stepNumber"] as? Int ?? 0,
                name: attributes["name"] as? String,
                status: attributes["status"] as? String,
                output: attributes["output"] as? String
            )
        }.sorted { $0.number < $1.number }
    }
}
