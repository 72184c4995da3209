public import Foundation

/// Locations inside the package, found from this file's path, and the built
/// `simvault` binary.
public enum ProjectPaths {
    /// The package root (the directory holding Package.swift).
    public static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    /// A script in `scripts/`.
    public static func script(_ name: String) -> String { root + "/scripts/" + name }

    /// The `simvault` executable built with the tests (next to the test
    /// bundle: same configuration and sanitizer, or `$SIMVAULT_BIN`), on
    /// the engine under test (``TestEngine/underTest``).
    public static let simvaultBinary: String = simvault(on: TestEngine.underTest)

    /// The `simvault` executable on `engine` (the interop tests).
    public static func simvault(on engine: TestEngine) -> String {
        engine.program(ProcessInfo.processInfo.environment["SIMVAULT_BIN"] ?? builtProduct("simvault"))
    }

    /// The test-only `vault-torture` program (Tests/Torture), on the engine
    /// under test.
    public static let tortureBinary = TestEngine.underTest.program(builtProduct("vault-torture"))

    /// A product built with the tests: next to the test bundle (same
    /// configuration and sanitizer), else in .build/debug.
    public static func builtProduct(_ name: String) -> String {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = testBinary.deletingLastPathComponent()
        // The bundle may be a directory (`*.xctest/...`) on some platforms.
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            directory.deleteLastPathComponent()
        }
        return root + "/.build/debug/" + name
    }
}
