/// The version `--version` prints and `pushrelay_build_info` carries.
package enum PushRelayVersion {
    package static let current = "0.1.0"
}
