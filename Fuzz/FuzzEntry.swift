import Foundation

#if SIMVAULT_FUZZING
/// libFuzzer's driver (in the `-sanitize=fuzzer` runtime). SwiftPM gives an
/// executable's `main` another name, so libFuzzer's own `main` cannot be
/// used; `LLVMFuzzerRunDriver` is its documented entry for that case.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@main
struct FuzzMain {
    static func main() {
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { bytes, count in
            let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
            for target in FuzzTargets.selected() { target(data) }
            return 0
        })
    }
}
#else
/// Without the fuzzer: replays files (a corpus, or crashes found earlier)
/// through the targets, so the harness builds and runs in every CI run.
///
///     simvault-fuzz FILE_OR_DIRECTORY...
@main
struct FuzzReplay {
    static func main() {
        var files: [String] = []
        for argument in CommandLine.arguments.dropFirst() {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory) else {
                FileHandle.standardError.write(Data("simvault-fuzz: \(argument) does not exist\n".utf8))
                exit(64)
            }
            if isDirectory.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: argument)) ?? []
                files += names.sorted().map { argument + "/" + $0 }
            } else {
                files.append(argument)
            }
        }
        // Targets that write (the importer's vault) do it under $TMPDIR:
        // a scratch directory, removed afterwards.
        var template = Array((NSTemporaryDirectory() + "/simvault-fuzz-replay.XXXXXX").utf8CString)
        guard let scratch = mkdtemp(&template).map({ String(cString: $0) }) else {
            FileHandle.standardError.write(Data("simvault-fuzz: cannot create a scratch directory\n".utf8))
            exit(73)
        }
        setenv("TMPDIR", scratch, 1)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else { continue }
            for target in FuzzTargets.selected() { target(data) }
        }
        print("simvault-fuzz: replayed \(files.count) input(s) through \(FuzzTargets.selected().count) target(s)")
    }
}
#endif
