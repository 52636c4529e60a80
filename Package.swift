// swift-tools-version: 6.1
import PackageDescription

// Every target is compiled in Swift 6 language mode with the upcoming features that
// keep module boundaries honest: imports are internal unless re-exported on purpose,
// and existentials are spelled `any`.
let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

// libgit2 and the libraries it needs, linked statically from Debian's own archives (the same
// packages as the shared libraries, with the same security fixes; `.a` files ship in the -dev
// packages `.ci/deps` installs). Loading libgit2.so and its 18 shared libraries was about a
// third of the start-up of every command that opens a repository: the dynamic loader mapping and
// relocating them (OpenSSL's libcrypto alone ~120 page faults). What stays shared: the C runtime.
// Not linked at all: GSSAPI (HTTP Negotiate authentication) and libssh2 with OpenSSL behind it
// (the SSH transport). No command uses either, since remotes go through the user's git;
// CDeferredGSSAPI and CDeferredSSH stand in for them and load the shared libraries on first use.
// The price is that a Debian security update of the static ones reaches the tool only when it
// is built again (`make install`); see docs/design-decisions.md, "libgit2 is linked statically".
//
// `--wrap` binds libgit2's calls to its TLS set-up and to mbedTLS's CA-bundle loaders to
// CDeferredCertificates, which sets TLS up on the first TLS connection, without the CA bundle,
// every call to realpath to CPathResolution, which resolves a path in three system calls, and
// the loose-object reader's inflation and the pack reader's windows to CObjectReadGuards, so that
// a damaged or crafted object fails to read instead of making libgit2 1.5.1 write past a buffer,
// loop forever or read past the end of a pack.
let libgit2Libraries: [String] = [
    "libgit2.a", "libmbedtls.a", "libmbedx509.a", "libmbedcrypto.a", "libhttp_parser.a",
    "libpcre2-8.a", "libz.a",
].map { "-l:\($0)" } + [
    "--wrap=mbedtls_x509_crt_parse_file", "--wrap=mbedtls_x509_crt_parse_path",
    "--wrap=git_mbedtls_stream_global_init", "--wrap=git_mbedtls_stream_new",
    "--wrap=git_mbedtls_stream_wrap", "--wrap=git_mbedtls__set_cert_location",
    "--wrap=realpath", "--wrap=git_zstream_get_output", "--wrap=git_mwindow_open",
]
let libgit2LinkerSettings: [LinkerSetting] = [
    .unsafeFlags(libgit2Libraries.flatMap { ["-Xlinker", $0] }),
]

// The release binary links the C++ runtime (which the Swift runtime needs) statically: the
// directory holds a linker script named libstdc++.so that redirects the Swift driver's `-lstdc++`
// to GCC's libstdc++.a. Release only: debug builds and the test runners link the Swift runtime
// dynamically, and libswiftCore.so brings the shared libstdc++ with it; one copy per process.
// See link/static-libstdc++/libstdc++.so and docs/design-decisions.md.
let staticCxxRuntimeSettings: [LinkerSetting] = [
    .unsafeFlags(["-L", Context.packageDirectory + "/link/static-libstdc++"], .when(platforms: [.linux], configuration: .release)),
]

let package = Package(
    name: "git-timeturner",
    products: [
        .executable(name: "git-timeturner", targets: ["git-timeturner"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Without its Foundation trait: full Foundation adds ~9 ms to every start of the tool.
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2", traits: []),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        // libgit2's headers from the system (Debian: libgit2-dev 1.5.1, in /usr/include). Not
        // through pkg-config: its `--libs` would link the shared library (libgit2LinkerSettings).
        .systemLibrary(
            name: "CLibgit2",
            providers: [.apt(["libgit2-dev"])]
        ),
        // SHA-256 from mbedTLS's libmbedcrypto (Debian: libmbedtls-dev), which libgit2 needs anyway
        // (linked with it: libgit2LinkerSettings).
        .systemLibrary(
            name: "CMbedCrypto",
            providers: [.apt(["libmbedtls-dev"])]
        ),
        // Defers libgit2's TLS set-up to its first TLS connection and keeps it from parsing the
        // system CA bundle (nothing here uses libgit2's TLS); see the file and docs/design-decisions.md.
        .target(name: "CDeferredCertificates"),
        // libgit2's calls into GSSAPI, bound to libgssapi_krb5.so.2 with dlopen on first use, so
        // that no command's start-up maps it and its five Kerberos libraries; see the file.
        .target(name: "CDeferredGSSAPI", linkerSettings: [.linkedLibrary("dl")]),
        // libgit2's calls into libssh2 (and through it OpenSSL), bound to libssh2.so.1 with dlopen on
        // the first SSH connection, which no command makes; see the file.
        .target(name: "CDeferredSSH", linkerSettings: [.linkedLibrary("dl")]),
        // HTTP for checks: libcurl (Debian: libcurl4-openssl-dev for the header, libcurl4 at run
        // time), loaded with dlopen on the first request so that no command's start-up pays for it.
        .target(name: "CCurlHTTP"),
        // realpath(3) through the kernel's own resolution of the opened path, for libgit2's
        // checkout (two calls per file written); see the file.
        .target(name: "CPathResolution"),
        // A damaged object fails to read instead of making libgit2 1.5.1 overrun a buffer or
        // loop forever (loose objects, upstream issue 7177) or read past a pack (a damaged index).
        .target(name: "CObjectReadGuards"),
        // glibc's malloc.h, for the allocator settings the executable makes at start (main.swift).
        .systemLibrary(name: "CMalloc"),
        // The only importer of CLibgit2: a Swift surface over the few libgit2 calls we need.
        .target(
            name: "GitKit",
            dependencies: ["CLibgit2", "CDeferredCertificates", "CDeferredGSSAPI", "CDeferredSSH", "CPathResolution", "CObjectReadGuards"],
            swiftSettings: strictSettings,
            linkerSettings: libgit2LinkerSettings
        ),
        // The domain: rollback points, registry, journal, planning. Knows git only through GitKit.
        .target(name: "TimeturnerCore", dependencies: ["GitKit", "CMbedCrypto"], swiftSettings: strictSettings),
        // Child processes (verification commands, executors) bounded in time and output, and the
        // executor protocol. Above Core: Core declares what it needs, the CLI wires these in.
        .target(
            name: "TimeturnerExecutors",
            dependencies: [
                "TimeturnerCore",
                "CCurlHTTP",
                // Only for what GitKit shares with every layer (the string trimmer); executors
                // reach the repository through Core.
                "GitKit",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictSettings
        ),
        // One file per subcommand; parses arguments, calls Core, renders text or JSON.
        .target(
            name: "TimeturnerCLI",
            dependencies: [
                "TimeturnerCore",
                "TimeturnerExecutors",
                "GitKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "git-timeturner",
            dependencies: ["TimeturnerCLI", "CMalloc"],
            swiftSettings: strictSettings,
            linkerSettings: staticCxxRuntimeSettings
        ),

        // Hermetic scratch repositories and a runner for the built binary, shared by all test targets.
        .target(
            name: "TestSupport",
            dependencies: [
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Tests/TestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(name: "GitKitTests", dependencies: ["GitKit", "CDeferredGSSAPI", "CDeferredSSH", "CPathResolution", "TestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "TimeturnerCoreTests",
            dependencies: ["TimeturnerCore", "GitKit", "TestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "TimeturnerExecutorsTests",
            dependencies: ["TimeturnerExecutors", "TimeturnerCore", "TestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "TimeturnerCLITests",
            dependencies: ["TimeturnerCLI", "TimeturnerCore", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["TestSupport", "git-timeturner"],
            swiftSettings: strictSettings
        ),
    ]
)
