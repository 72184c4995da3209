import Foundation
import SimVault

// simvault-bench: what encryption and the library cost, side by side.
// docs/performance.md explains the workloads and shows a full run.

let options: BenchmarkOptions
do {
    options = try BenchmarkOptions(arguments: Array(CommandLine.arguments.dropFirst()))
} catch let error as UsageError {
    if let message = error.message { FileHandle.standardError.write(Data("simvault-bench: \(message)\n".utf8)) }
    print(BenchmarkOptions.usage)
    exit(error.message == nil ? 0 : 64)
}

do {
    let start = Clock.now()
    let cipherVersion = try Connection(path: ":memory:", key: nil, options: { var o = Connection.Options(); o.usesWAL = false; return o }())
        .cipherVersion()
    let before = Machine.current(cipherVersion: cipherVersion)
    let dataset = Dataset(scale: options.scale)
    let run = try BenchmarkRun(options: options, dataset: dataset)
    defer { if !options.keepsFiles { run.removeFiles() } }
    try run.run()
    let report = TableReport(
        results: run.results, scale: options.scale, isQuick: options.isQuick, machineBefore: before,
        machineAfter: Machine.current(cipherVersion: cipherVersion), seconds: (Clock.now() - start).milliseconds / 1000)
    print(report.markdown(), terminator: "")
    if let path = options.jsonPath {
        try report.json().write(to: URL(fileURLWithPath: path))
    }
    if !run.results.disagreements.isEmpty { exit(1) }
} catch {
    FileHandle.standardError.write(Data("simvault-bench: \(error)\n".utf8))
    exit(1)
}
