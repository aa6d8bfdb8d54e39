extension UInt8 {
    /// This byte with `A`–`Z` as `a`–`z` and every other byte as it is: header names and skip markers
    /// compare without regard to ASCII case, and only ASCII case.
    var asciiLowercased: UInt8 { self &- UInt8(ascii: "A") < 26 ? self | 0x20 : self }
}
