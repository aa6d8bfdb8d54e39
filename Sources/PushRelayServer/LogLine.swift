import Logging

#if canImport(Glibc)
import Glibc
#endif

/// What both log handlers share, written for a line per delivery on the accept path: Foundation's
/// `Date.formatted(.iso8601)` and `FileHandle.write(Data)` cost more than the rest of the line together.
package enum LogLine {
    /// The current time as ISO 8601 in UTC to the second (`2026-12-06T19:49:05Z`), as
    /// `Date.formatted(.iso8601)` writes it.
    package static func timestamp() -> String {
        var seconds = time(nil)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return Self.timestamp(
            year: Int(parts.tm_year) + 1900,
            month: Int(parts.tm_mon) + 1,
            day: Int(parts.tm_mday),
            hour: Int(parts.tm_hour),
            minute: Int(parts.tm_min),
            second: Int(parts.tm_sec)
        )
    }

    package static func timestamp(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> String {
        String(unsafeUninitializedCapacity: 20) { buffer in
            func put(_ value: Int, _ digits: Int, at offset: Int) {
                var value = value
                for index in stride(from: offset + digits - 1, through: offset, by: -1) {
                    buffer[index] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                }
            }
            put(year, 4, at: 0)
            put(month, 2, at: 5)
            put(day, 2, at: 8)
            put(hour, 2, at: 11)
            put(minute, 2, at: 14)
            put(second, 2, at: 17)
            for (offset, separator) in zip([4, 7, 10, 13, 16, 19], "--T::Z".utf8) { buffer[offset] = separator }
            return 20
        }
    }

    /// Writes the line to standard error with one system call (more only if the kernel takes part of it).
    /// A line that cannot be written is dropped: logging never fails the request that logs.
    package static func writeToStandardError(_ line: String) {
        var line = line
        line.withUTF8 { Self.writeToStandardError(UnsafeRawBufferPointer($0)) }
    }

    package static func writeToStandardError(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        var offset = 0
        while offset < bytes.count {
            let written = write(2, base + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += written
        }
    }
}

extension LogLine {
    /// The handler's metadata and the event's, the event's winning on a shared key, sorted by key: a list
    /// rather than a merged dictionary, which cost more than the fields' text.
    package static func fields(
        _ handler: Logger.Metadata,
        _ event: Logger.Metadata?
    ) -> [(key: String, value: Logger.MetadataValue)] {
        var fields: [(key: String, value: Logger.MetadataValue)] = []
        fields.reserveCapacity(handler.count + (event?.count ?? 0))
        for field in handler where event?[field.key] == nil { fields.append(field) }
        if let event { fields.append(contentsOf: event) }
        fields.sort { $0.key < $1.key }
        return fields
    }
}
