// swift-tools-version:6.0
import PackageDescription

// Layering (docs/DESIGN.md §2): the `simvault` CLI -> `SimVault` -> `VaultSchema`
// -> `VaultKeys` (all libsodium use: keys, sealing, digests) -> C
// system-library modules. Nothing below the CLI talks to the
// terminal.
//
// Only libsqlcipher may provide the sqlite3_* symbols: if the plain libsqlite3
// is loaded too, its symbols can win, `PRAGMA key` is silently ignored and
// plaintext is written. `scripts/check-linkage` enforces this in CI and the
// engine refuses to open a file when `PRAGMA cipher_version` is empty.

let strictSwift: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "simvault",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "SimVault", targets: ["SimVault"]),
        .executable(name: "simvault", targets: ["simvault"]),
        // Reads other apps' SQLite files for the library in a separate,
        // resource-limited process (Sources/simvault-sqlite-reader); it is
        // installed beside `simvault` or an app's executable.
        .executable(name: "simvault-sqlite-reader", targets: ["simvault-sqlite-reader"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // `make docs` only (a command plugin: nothing of it is linked or built
        // by `swift build`).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // MARK: C system libraries (module map + shim header each)
        .systemLibrary(
            name: "CSQLCipher", path: "Sources/CSQLCipher", pkgConfig: "sqlcipher",
            providers: [.apt(["libsqlcipher-dev"])]),
        .systemLibrary(
            name: "CSecret", path: "Sources/CSecret", pkgConfig: "libsecret-1",
            providers: [.apt(["libsecret-1-dev"])]),
        .systemLibrary(
            name: "CSodium", path: "Sources/CSodium", pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(
            name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        // PostgreSQL's client library, for `import sim-postgres` only.
        .systemLibrary(
            name: "CLibPQ", path: "Sources/CLibPQ", pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]),

        // MARK: Key management and schema
        .target(
            name: "VaultKeys", dependencies: ["CSodium", "CSecret"],
            path: "KeyManagement", swiftSettings: strictSwift),
        .target(
            name: "VaultSchema", dependencies: ["VaultKeys"],
            path: "Schema", swiftSettings: strictSwift),

        // MARK: The library and the CLI
        .target(name: "CSpawn", path: "Sources/CSpawn"),
        .target(
            name: "SimVault", dependencies: ["CSQLCipher", "CZlib", "CSodium", "CLibPQ", "CSpawn", "VaultKeys", "VaultSchema", "SQLiteReaderProtocol"],
            swiftSettings: strictSwift),
        .target(name: "CProcessHardening", path: "Sources/CProcessHardening"),
        .target(name: "CTerminal", path: "Sources/CTerminal"),
        .executableTarget(
            name: "simvault",
            dependencies: ["SimVault", "CProcessHardening", "CTerminal", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strictSwift),

        // MARK: The foreign-database reader (a process of its own; no key ever reaches it)
        .target(name: "SQLiteReaderProtocol", swiftSettings: strictSwift),
        .executableTarget(
            name: "simvault-sqlite-reader", dependencies: ["CSQLCipher", "CProcessHardening", "SQLiteReaderProtocol"],
            swiftSettings: strictSwift),

        // MARK: Benchmarks (docs/performance.md; `make bench`, `make bench-quick`)
        .executableTarget(
            name: "simvault-bench", dependencies: ["SimVault", "VaultKeys", "CSQLCipher", "CSecret", "CSodium", "CZlib"],
            path: "Benchmarks", swiftSettings: strictSwift),

        // MARK: Fuzzing (scripts/fuzz builds it with -sanitize=fuzzer)
        .executableTarget(
            name: "simvault-fuzz", dependencies: ["VaultKeys", "SimVault", "SQLiteReaderProtocol"],
            path: "Fuzz", exclude: ["Corpus"], swiftSettings: strictSwift),

        // MARK: Tests
        .target(
            name: "VaultTestSupport", dependencies: ["SimVault", "CSpawn"],
            path: "Tests/Support", swiftSettings: strictSwift),
        .testTarget(
            name: "VaultKeysTests", dependencies: ["VaultKeys", "VaultTestSupport"],
            swiftSettings: strictSwift),
        .testTarget(
            name: "VaultSchemaTests", dependencies: ["VaultSchema", "SimVault", "VaultTestSupport"],
            swiftSettings: strictSwift),
        .testTarget(
            name: "SimVaultTests", dependencies: ["SimVault", "simvault-sqlite-reader", "VaultTestSupport"],
            swiftSettings: strictSwift),
        // A test-only program that writes and reads a vault from its own
        // process, for the crash and concurrency tests.
        .executableTarget(
            name: "vault-torture", dependencies: ["SimVault"],
            path: "Tests/Torture", swiftSettings: strictSwift),
        .testTarget(
            name: "SimVaultCLITests", dependencies: ["simvault", "simvault-sqlite-reader", "vault-torture", "VaultTestSupport"],
            swiftSettings: strictSwift),
    ],
    swiftLanguageModes: [.v6]
)
