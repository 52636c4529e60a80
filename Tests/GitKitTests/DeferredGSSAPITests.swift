import CDeferredGSSAPI
import Glibc
import Testing

/// libgit2's calls into GSSAPI go to `CDeferredGSSAPI`, which loads libgssapi_krb5.so.2 on the
/// first call and passes every call on. What must hold: the calls reach the real library
/// unchanged (its answers, its errors), including the one name type libgit2 reads as a variable.
/// That no command loads the library at start-up is checked on the built binary, in
/// EndToEndTests' `StartupLibrariesTests`.
@Suite struct DeferredGSSAPITests {
    // RFC 2744 status codes: routine errors sit above bit 16.
    static let complete: UInt32 = 0
    static let badNameType: UInt32 = 3 << 16

    @Test func mechanismsComeFromTheRealLibrary() throws {
        var minor: UInt32 = 0
        var set: UnsafeMutablePointer<timeturner_gss_oid_set_desc>? = nil
        #expect(gss_indicate_mechs(&minor, &set) == Self.complete)
        #expect(timeturner_gssapi_loaded() == 1, "the first call did not load libgssapi_krb5.so.2")
        let mechanisms = try #require(set)
        var found: [[UInt8]] = []
        for index in 0..<mechanisms.pointee.count {
            let oid = mechanisms.pointee.elements[index]
            found.append(Array(UnsafeRawBufferPointer(start: oid.elements, count: Int(oid.length))))
        }
        // MIT Kerberos offers Kerberos 5 (1.2.840.113554.1.2.2) and SPNEGO (1.3.6.1.5.5.2), the
        // two libgit2 looks for.
        #expect(found.contains([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02]), "\(found)")
        #expect(found.contains([0x2b, 0x06, 0x01, 0x05, 0x05, 0x02]), "\(found)")
        #expect(gss_release_oid_set(&minor, &set) == Self.complete)
        #expect(set == nil, "the real gss_release_oid_set clears the pointer")
    }

    /// libgit2 reads the name type as a variable, which CDeferredGSSAPI defines itself: its value
    /// must be the library's.
    @Test func theHostBasedServiceNameTypeIsTheLibrarysOwn() throws {
        let library = try #require(dlopen("libgssapi_krb5.so.2", RTLD_NOW | RTLD_LOCAL))
        defer { dlclose(library) }
        let symbol = try #require(dlsym(library, "GSS_C_NT_HOSTBASED_SERVICE"))
        let variable = symbol.assumingMemoryBound(to: UnsafeMutablePointer<timeturner_gss_oid_desc>?.self)
        let real = try #require(variable.pointee)
        let ours = try #require(GSS_C_NT_HOSTBASED_SERVICE)
        #expect(ours != real, "the stand-in is not the library's variable")
        func bytes(_ oid: UnsafeMutablePointer<timeturner_gss_oid_desc>) -> [UInt8] {
            Array(UnsafeRawBufferPointer(start: oid.pointee.elements, count: Int(oid.pointee.length)))
        }
        #expect(bytes(ours) == bytes(real))

        var minor: UInt32 = 0
        var name: UnsafeMutableRawPointer? = nil
        try withBuffer("HTTP@git.example.com") { buffer in
            #expect(gss_import_name(&minor, &buffer, GSS_C_NT_HOSTBASED_SERVICE, &name) == Self.complete)
        }
        #expect(name != nil)
        #expect(gss_release_name(&minor, &name) == Self.complete)
        #expect(name == nil, "the real gss_release_name clears the pointer")
    }

    /// What libgit2 does next, with no Kerberos ticket here: the library refuses, and the refusal
    /// comes back unchanged (a GSSAPI error, and a context left empty).
    @Test func aContextWithoutCredentialsIsRefusedByTheLibrary() throws {
        var minor: UInt32 = 0
        var name: UnsafeMutableRawPointer? = nil
        try withBuffer("HTTP@localhost") { buffer in
            #expect(gss_import_name(&minor, &buffer, GSS_C_NT_HOSTBASED_SERVICE, &name) == Self.complete)
        }
        defer { _ = gss_release_name(&minor, &name) }
        var context: UnsafeMutableRawPointer? = nil
        var output = timeturner_gss_buffer_desc(length: 0, value: nil)
        let status = gss_init_sec_context(&minor, nil, &context, name, nil, 0, 0, nil, nil, nil, &output, nil, nil)
        // GSS_ERROR: a calling or routine error (bits 16 and up).
        #expect(status & 0xffff_0000 != 0, "status \(String(status, radix: 16)): a context without credentials")
        #expect(context == nil && output.length == 0)
        _ = gss_release_buffer(&minor, &output)
    }

    @Test func errorsAreDescribedByTheRealLibrary() {
        var minor: UInt32 = 0
        var context: UInt32 = 0
        var text = timeturner_gss_buffer_desc(length: 0, value: nil)
        #expect(gss_display_status(&minor, Self.badNameType, 1 /* GSS_C_GSS_CODE */, nil, &context, &text) == Self.complete)
        let message = String(decoding: UnsafeRawBufferPointer(start: text.value, count: text.length), as: UTF8.self)
        #expect(message.contains("unsupported type"), "\(message)")
        #expect(gss_release_buffer(&minor, &text) == Self.complete)
    }

    private func withBuffer(_ text: String, _ body: (inout timeturner_gss_buffer_desc) throws -> Void) throws {
        var bytes = Array(text.utf8)
        try bytes.withUnsafeMutableBytes { raw in
            var buffer = timeturner_gss_buffer_desc(length: raw.count, value: raw.baseAddress)
            try body(&buffer)
        }
    }
}
