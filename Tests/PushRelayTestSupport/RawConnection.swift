import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP connection to a listener on loopback, for sending what no HTTP client would: dribbled
/// bodies, oversized headers, idle connections.
package final class RawConnection: @unchecked Sendable {
    // @unchecked: the descriptor is used by one test at a time.
    private let descriptor: Int32
    private var isOpen = true

    /// - Parameter waiting: `false` starts the connection without waiting for it to be accepted (for
    ///   opening many at once; sending then fails until it is).
    package init(port: Int, waiting: Bool = true) throws {
        self.descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard self.descriptor >= 0 else { throw RelayProcessError("socket() failed: \(errno)") }
        if !waiting { _ = fcntl(self.descriptor, F_SETFL, fcntl(self.descriptor, F_GETFL) | O_NONBLOCK) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(self.descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 || (!waiting && errno == EINPROGRESS) else {
            close(self.descriptor)
            throw RelayProcessError("connect() failed: \(errno)")
        }
    }

    package func send(_ text: String) {
        self.send(Array(text.utf8))
    }

    /// Sends what the peer takes; a peer that has closed makes this a no-op (SIGPIPE is not raised).
    package func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(self.descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// What arrives until the peer closes or `timeout` passes (`closed` tells which), or with
    /// `untilStatusLine`, until a response's status line is in. Polls without blocking, so that the server
    /// under test keeps the concurrency pool's threads.
    package func receive(timeout: Duration, untilStatusLine: Bool = false) async -> (bytes: [UInt8], closed: Bool) {
        var received: [UInt8] = []
        let deadline = ContinuousClock.now + timeout
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while ContinuousClock.now < deadline {
            var poller = pollfd(fd: self.descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 0) > 0 else {
                try? await Task.sleep(for: .milliseconds(5))
                continue
            }
            let count = buffer.withUnsafeMutableBytes { recv(self.descriptor, $0.baseAddress, $0.count, 0) }
            if count <= 0 { return (received, true) }
            received += buffer[0..<count]
            if untilStatusLine, Self.status(of: received) != nil { return (received, false) }
        }
        return (received, false)
    }

    /// The status code of the first response in `bytes`, if one arrived.
    package static func status(of bytes: [UInt8]) -> Int? {
        let text = String(decoding: bytes.prefix(64), as: UTF8.self)
        guard text.hasPrefix("HTTP/1.") else { return nil }
        return Int(text.dropFirst(9).prefix(3))
    }

    /// Closes this end; the listener sees the connection gone.
    package func disconnect() {
        guard self.isOpen else { return }
        self.isOpen = false
        close(self.descriptor)
    }

    deinit {
        self.disconnect()
    }
}

/// A TCP port held open on loopback (listening, never accepting), to make another listener's bind fail.
package final class RawListener: @unchecked Sendable {
    // @unchecked: the descriptor is only closed, once.
    private let descriptor: Int32
    package let port: Int

    package init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && listen(descriptor, 1) == 0
                    && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard bound else {
            close(descriptor)
            throw RelayProcessError("could not hold a port: \(errno)")
        }
        self.descriptor = descriptor
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit {
        close(self.descriptor)
    }
}
