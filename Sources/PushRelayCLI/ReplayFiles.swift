import Foundation

/// The files `replay` reads: arguments as given, directories walked (sorted), `-` for standard input.
enum ReplayFiles {
    static func expand(_ arguments: [String]) throws -> [String] {
        var files: [String] = []
        for argument in arguments {
            var isDirectory: ObjCBool = false
            if argument != "-", FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory),
                isDirectory.boolValue
            {
                let enumerator = FileManager.default.enumerator(atPath: argument)
                let found = (enumerator?.allObjects as? [String] ?? []).filter { entry in
                    var isSubdirectory: ObjCBool = false
                    _ = FileManager.default.fileExists(
                        atPath: argument + "/" + entry,
                        isDirectory: &isSubdirectory
                    )
                    return !isSubdirectory.boolValue && !(entry as NSString).lastPathComponent.hasPrefix(".")
                }
                files += found.sorted().map { argument + "/" + $0 }
            } else {
                files.append(argument)
            }
        }
        return files
    }

    static func read(_ file: String) throws -> [UInt8] {
        if file == "-" { return Array(FileHandle.standardInput.readDataToEndOfFile()) }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw CommandFailure("cannot read the file")
        }
        return Array(data)
    }
}
