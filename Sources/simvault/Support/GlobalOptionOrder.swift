/// Lets the options every command shares come before the command name, as
/// `git -C DIR` or `docker --host` do: `simvault --vault PATH info` works like
/// `simvault info --vault PATH`.
///
/// swift-argument-parser reads an option only after the subcommand that
/// declares it, and `GlobalOptions` is declared by each subcommand (through
/// `@OptionGroup`), not by the root. So the leading global options are moved
/// behind the command line's other arguments before parsing, which is where
/// every subcommand accepts them; anything after a `--` terminator stays
/// after it.
enum GlobalOptionOrder {
    /// The shared options that take a value (`--vault PATH`, `--vault=PATH`).
    static let valueOptions: Set<String> = ["--vault"]
    /// The shared flags.
    static let flags: Set<String> = ["--json"]

    /// `arguments` (without the program name) with leading global options
    /// moved after the rest. Unchanged when the first argument is not one.
    static func normalized(_ arguments: [String]) -> [String] {
        var leading: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            let name = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
            if flags.contains(argument) {
                leading.append(argument)
                index += 1
            } else if valueOptions.contains(name), argument.contains("=") {
                leading.append(argument)
                index += 1
            } else if valueOptions.contains(argument), index + 1 < arguments.count {
                leading += [argument, arguments[index + 1]]
                index += 2
            } else {
                break
            }
        }
        guard !leading.isEmpty else { return arguments }
        var rest = Array(arguments[index...])
        let insertAt = rest.firstIndex(of: "--") ?? rest.count
        rest.insert(contentsOf: leading, at: insertAt)
        return rest
    }
}
