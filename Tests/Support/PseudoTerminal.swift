public import Foundation

/// Runs a program on a real pseudo-terminal (Python's `pty.fork`), answering
/// prompts in order: for each (prompt, answer) pair it waits until the
/// prompt text has appeared, then types the answer and a newline. Returns
/// the exit status and everything the terminal showed, so a test can check
/// that what was typed was not echoed.
public enum PseudoTerminal {
    public struct Transcript: Sendable {
        public let status: Int32
        public let screen: String
    }

    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String],
        answers: [(prompt: String, answer: String)], timeout: Double = 60
    ) throws -> Transcript {
        guard let python = ProcessRunner.which("python3") else { throw TestSupportError("python3 not installed") }
        let script = """
            import json, os, pty, select, sys, time
            spec = json.loads(sys.stdin.read())
            pid, fd = pty.fork()
            if pid == 0:
                os.execve(spec["exe"], [spec["exe"]] + spec["args"], spec["env"])
            screen = b""
            deadline = time.time() + spec["timeout"]
            answers = list(spec["answers"])
            status = None
            while time.time() < deadline:
                if status is None:
                    done, raw = os.waitpid(pid, os.WNOHANG)
                    if done == pid:
                        status = raw
                ready, _, _ = select.select([fd], [], [], 0.1)
                if status is not None and not ready:
                    break
                if ready:
                    try:
                        chunk = os.read(fd, 4096)
                    except OSError:
                        break
                    if not chunk:
                        break
                    screen += chunk
                if answers and answers[0][0].encode() in screen:
                    prompt, answer = answers.pop(0)
                    screen = screen.replace(prompt.encode(), b"<" + prompt.encode() + b">", 1)
                    os.write(fd, answer.encode() + b"\\n")
            if status is None:
                _, status = os.waitpid(pid, 0)
            sys.stdout.write(json.dumps({"status": os.waitstatus_to_exitcode(status), "screen": screen.decode("utf-8", "replace")}))
            """
        let spec: [String: Any] = [
            "exe": executable, "args": arguments, "env": environment, "timeout": timeout,
            "answers": answers.map { [$0.prompt, $0.answer] },
        ]
        let input = try JSONSerialization.data(withJSONObject: spec)
        let result = try ProcessRunner.run(python, ["-c", script], environment: environment, stdin: input, timeout: timeout + 10)
        guard let object = try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any],
              let status = object["status"] as? Int, let screen = object["screen"] as? String else {
            throw TestSupportError("pty driver failed: \(result)")
        }
        return Transcript(status: Int32(status), screen: screen)
    }
}
