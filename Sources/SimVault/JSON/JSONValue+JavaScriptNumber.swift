extension JSONValue {
    /// `value` written as JavaScript's `JSON.stringify` writes a number
    /// (`Number.prototype.toString`, ECMA-262 §6.1.6.1.20): the shortest
    /// digits that read back as the same double, `120` not `120.0`,
    /// `0.000001` and `1e-7`, exponent form only below 1e-6 and from 1e21;
    /// null for NaN and the infinities.
    ///
    /// ```swift
    /// JSONValue.javaScriptNumber(Double("120.50")!)   // .number("120.5")
    /// ```
    static func javaScriptNumber(_ value: Double) -> JSONValue {
        guard value.isFinite else { return .null }
        guard value != 0 else { return .number("0") }
        // Swift's description is the shortest round-tripping form too, in
        // another layout ("1e-07", "1.5e+20", "120.0"): take its digits and
        // exponent and lay them out JavaScript's way.
        var text = value.magnitude.description
        var exponent = 0
        if let marker = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: marker)...]) ?? 0
            text = String(text[..<marker])
        }
        let parts = text.split(separator: ".", maxSplits: 1)
        var digits = String(parts[0]) + (parts.count > 1 ? String(parts[1]) : "")
        var point = parts[0].count + exponent
        while digits.first == "0" { digits.removeFirst(); point -= 1 }
        while digits.last == "0" { digits.removeLast() }
        let count = digits.count
        let body: String
        if count <= point, point <= 21 {
            body = digits + String(repeating: "0", count: point - count)
        } else if point > 0, point <= 21 {
            body = String(digits.prefix(point)) + "." + String(digits.dropFirst(point))
        } else if point > -6, point <= 0 {
            body = "0." + String(repeating: "0", count: -point) + digits
        } else {
            let power = point - 1
            let mantissa = count == 1 ? digits : String(digits.prefix(1)) + "." + String(digits.dropFirst())
            body = mantissa + "e" + (power < 0 ? "-" : "+") + String(power.magnitude)
        }
        return .number(value < 0 ? "-" + body : body)
    }
}
