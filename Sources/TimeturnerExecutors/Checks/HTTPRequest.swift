internal import CCurlHTTP
internal import Dispatch
public import TimeturnerCore

/// One HTTP request through libcurl (loaded on first use; see docs/design-decisions.md).
///
/// libcurl's easy interface blocks, so the request runs on a Dispatch worker, never on a Swift
/// concurrency thread (two cores give the cooperative pool two threads). An interruption sets
/// the request's cancel flag, which libcurl's progress callback reads several times a second.
public struct HTTPRequest: Sendable {
    public let url: String
    public let method: String
    public let timeout: Duration
    /// Bytes of body kept; past it the transfer stops (a check never needs a large body).
    public let bodyLimit: Int

    public init(url: String, method: String = "GET", timeout: Duration, bodyLimit: Int = 1 << 20) {
        self.url = url
        self.method = method
        self.timeout = timeout
        self.bodyLimit = bodyLimit
    }

    public struct Response: Sendable {
        public let status: Int
        public let body: [UInt8]
        public let truncated: Bool
    }

    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case timedOut(Duration)
        case cancelled
        /// Could not connect, or the connection broke: libcurl's words.
        case transport(String)
        /// libcurl itself is missing.
        case unavailable(String)

        public var description: String {
            switch self {
            case .timedOut(let limit): "no response within \(CheckDurationText.format(limit))"
            case .cancelled: "stopped"
            case .transport(let reason): reason
            case .unavailable(let reason): reason
            }
        }
    }

    public func perform(interruption: Interruption?) async -> Result<Response, Failure> {
        guard let cancel = tt_http_cancel_new() else { return .failure(.transport("out of memory")) }
        defer { tt_http_cancel_free(cancel) }
        let flag = CancelFlag(pointer: cancel)
        let watcher = Task {
            while !Task.isCancelled {
                if interruption?.signal != nil { tt_http_cancel_set(flag.pointer); return }
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
        defer { watcher.cancel() }
        let request = self
        return await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: request.performBlocking(cancel: flag))
            }
        }
    }

    /// The libcurl call itself, on the calling thread.
    func performBlocking(cancel: CancelFlag) -> Result<Response, Failure> {
        var response = tt_http_response()
        defer { tt_http_free(&response) }
        let milliseconds = max(1, Int(timeout.wholeMilliseconds))
        let code = tt_http_perform(url, method, milliseconds, bodyLimit, cancel.pointer, &response)
        if code != 0 {
            let reason = withUnsafeBytes(of: response.error) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if response.cancelled != 0 { return .failure(.cancelled) }
            if response.timed_out != 0 { return .failure(.timedOut(timeout)) }
            if response.status == 0 && reason.hasPrefix("libcurl") { return .failure(.unavailable(reason)) }
            return .failure(.transport(reason))
        }
        let body = response.body.map { Array(UnsafeBufferPointer(start: $0, count: response.body_length)) } ?? []
        return .success(Response(status: response.status, body: body, truncated: response.truncated != 0))
    }
}

/// The C cancel flag, handed between the watcher task and the Dispatch worker. The flag is an
/// atomic in C; the pointer itself never changes while the request runs.
struct CancelFlag: @unchecked Sendable {
    let pointer: OpaquePointer
}

/// Percent-encoding for query parameters (RFC 3986 unreserved characters stay as they are).
enum URLQuery {
    static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF")
                out += "%" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 0xF)])
            }
        }
        return out
    }
}
