internal import Glibc

/// A whole file, or nil when it cannot be opened or read.
func readWholeFile(_ path: String) -> [UInt8]? {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    var info = stat()
    guard fstat(descriptor, &info) == 0 else { return nil }
    return readToEnd(descriptor, expecting: Int(info.st_size))
}

/// Runs `body` over the bytes of a file, or returns nil when it cannot be opened or read. A
/// file of 64 KiB or more is mapped rather than read: scanning `packed-refs` with thousands of
/// refs then touches page-cache pages (the kernel maps them 16 at a time) instead of faulting in
/// and filling a heap buffer of the same size, which was a tenth of `point`'s page faults. Only
/// for files git replaces by rename (packed-refs), never truncates in place: a mapping of a file
/// cut short under it would fault.
func withFileBytes<T>(_ path: String, _ body: (UnsafeBufferPointer<UInt8>) -> T) -> T? {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    var info = stat()
    guard fstat(descriptor, &info) == 0 else { return nil }
    let size = Int(info.st_size)
    if size >= 65_536, let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), mapped != MAP_FAILED {
        defer { munmap(mapped, size) }
        return body(UnsafeBufferPointer(start: mapped.assumingMemoryBound(to: UInt8.self), count: size))
    }
    return readToEnd(descriptor, expecting: size).map { bytes in bytes.withUnsafeBufferPointer(body) }
}

/// The rest of an open file, read into one buffer of the size `fstat` gave plus one byte, so
/// that a file read whole ends with the read that returns 0: no scratch buffer, no copies as it
/// grows. A file that grew meanwhile is read on to its end. Nil on a read error.
private func readToEnd(_ descriptor: Int32, expecting size: Int) -> [UInt8]? {
    var out: [UInt8] = []
    var room = size + 1
    while true {
        var failed = false, atEnd = false
        let chunk = [UInt8](unsafeUninitializedCapacity: room) { buffer, count in
            count = 0
            while count < room {
                let read = Glibc.read(descriptor, buffer.baseAddress! + count, room - count)
                if read < 0 && errno == EINTR { continue }
                if read < 0 { failed = true; return }
                if read == 0 { atEnd = true; return }
                count += read
            }
        }
        if failed { return nil }
        if out.isEmpty { out = chunk } else { out += chunk }
        if atEnd { return out }
        room = 65_536
    }
}
