public import Foundation

/// A fresh private directory per test, removed when the value is released.
public final class TemporaryDirectory: @unchecked Sendable {
    // @unchecked Sendable: only immutable state.
    public let path: String

    public init(_ label: String = "test") throws {
        let template = (NSTemporaryDirectory() as NSString).appendingPathComponent("simvault-\(label).XXXXXX")
        var buffer = Array(template.utf8CString)
        guard let created = mkdtemp(&buffer) else {
            throw TestSupportError("mkdtemp failed: \(String(cString: strerror(errno)))")
        }
        path = String(cString: created)
    }

    /// A path inside the directory.
    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// Writes `text` to a file inside the directory (0600) and returns its path.
    @discardableResult
    public func write(_ text: String, to name: String) throws -> String {
        let target = file(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: target))
        chmod(target, 0o600)
        return target
    }

    deinit {
        if ProcessInfo.processInfo.environment["SIMVAULT_KEEP_TEST_FILES"] == nil {
            try? FileManager.default.removeItem(atPath: path)
        }
    }
}

/// A failure inside the test harness itself (not the code under test).
public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
