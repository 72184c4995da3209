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

    /// What a terminal looked like after Ctrl-C at a prompt.
    public struct Interruption: Sendable {
        /// The exit status (128 + signal when killed by one).
        public let status: Int32
        public let screen: String
        /// Whether echo was off while the prompt waited.
        public let echoOffAtPrompt: Bool
        /// Whether the terminal echoes again after the program ended (what
        /// the shell will find).
        public let echoAfterExit: Bool
    }

    /// Runs a program on a pseudo-terminal, waits for `prompt`, types
    /// Ctrl-C (the terminal sends SIGINT to it), waits for it to end, and
    /// reads the terminal's settings as the shell would find them.
    public static func interrupt(
        _ executable: String, _ arguments: [String], environment: [String: String], atPrompt prompt: String, timeout: Double = 60
    ) throws -> Interruption {
        guard let python = ProcessRunner.which("python3") else { throw TestSupportError("python3 not installed") }
        let script = """
            import json, os, pty, select, sys, termios, time
            spec = json.loads(sys.stdin.read())
            pid, fd = pty.fork()
            if pid == 0:
                os.execve(spec["exe"], [spec["exe"]] + spec["args"], spec["env"])
            screen = b""
            deadline = time.time() + spec["timeout"]
            while spec["prompt"].encode() not in screen and time.time() < deadline:
                ready, _, _ = select.select([fd], [], [], 0.1)
                if ready:
                    try:
                        screen += os.read(fd, 4096)
                    except OSError:
                        break
            echo_at_prompt = bool(termios.tcgetattr(fd)[3] & termios.ECHO)
            os.write(fd, b"\\x03")
            status = None
            while time.time() < deadline and status is None:
                done, raw = os.waitpid(pid, os.WNOHANG)
                if done == pid:
                    status = raw
                    break
                ready, _, _ = select.select([fd], [], [], 0.1)
                if ready:
                    try:
                        screen += os.read(fd, 4096)
                    except OSError:
                        pass
            if status is None:
                os.kill(pid, 9)
                _, status = os.waitpid(pid, 0)
            echo_after = bool(termios.tcgetattr(fd)[3] & termios.ECHO)
            code = os.waitstatus_to_exitcode(status)
            sys.stdout.write(json.dumps({"status": 128 - code if code < 0 else code, "screen": screen.decode("utf-8", "replace"),
                                         "echo_at_prompt": echo_at_prompt, "echo_after": echo_after}))
            """
        let spec: [String: Any] = ["exe": executable, "args": arguments, "env": environment, "timeout": timeout, "prompt": prompt]
        let input = try JSONSerialization.data(withJSONObject: spec)
        let result = try ProcessRunner.run(python, ["-c", script], environment: environment, stdin: input, timeout: timeout + 10)
        guard let object = try JSONSerialization.jsonObject(with: result.stdoutData) as? [String: Any],
              let status = object["status"] as? Int, let screen = object["screen"] as? String,
              let atPrompt = object["echo_at_prompt"] as? Bool, let after = object["echo_after"] as? Bool else {
            throw TestSupportError("pty driver failed: \(result)")
        }
        return Interruption(status: Int32(status), screen: screen, echoOffAtPrompt: !atPrompt, echoAfterExit: after)
    }
}
