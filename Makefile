# Installs git-timeturner: the binary, its manual pages, shell completions and hook scripts.
#
#   make                              build the release binary
#   make install PREFIX=$HOME/.local  install under PREFIX (default /usr/local)
#   make uninstall PREFIX=…           remove exactly what install put there
#   make install DESTDIR=/tmp/pkg     stage into DESTDIR for packaging (PREFIX is the final one)
#   make man                          regenerate man/ from the --help definitions and docs/
#   make install BIN=path/to/git-timeturner   install that binary instead of the release build
#
# Installing needs no network: the Swift packages resolve from the local package mirror the
# build already uses, and the manual pages are committed (man/; a test keeps them current).
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(DESTDIR)$(PREFIX)/bin
MANDIR = $(DESTDIR)$(PREFIX)/share/man/man1
SHAREDIR = $(DESTDIR)$(PREFIX)/share/git-timeturner
DOCDIR = $(DESTDIR)$(PREFIX)/share/doc/git-timeturner
BASHDIR = $(DESTDIR)$(PREFIX)/share/bash-completion/completions
ZSHDIR = $(DESTDIR)$(PREFIX)/share/zsh/site-functions
FISHDIR = $(DESTDIR)$(PREFIX)/share/fish/vendor_conf.d
INSTALL ?= install
SWIFT ?= swift

# The Swift runtime is linked statically: loading it dynamically costs milliseconds on every run
# (bench/, docs/design-decisions.md). libgit2 and the C++ runtime are linked statically too (Package.swift).
SWIFT_RELEASE = $(SWIFT) build -c release --static-swift-stdlib --product git-timeturner

MANPAGES = $(wildcard man/*.1)
DOCS = README.md $(wildcard docs/*.md)
SCHEMAS = $(wildcard docs/schemas/*.json)

.PHONY: all build install uninstall man
all: build

build:
	$(SWIFT_RELEASE)

# Builds first when nothing is built yet, so 'sudo make install' after 'make' does not build as root.
BIN ?=

install:
	@bin="$(BIN)"; \
	if [ -z "$$bin" ]; then \
		bin="$$($(SWIFT) build -c release --show-bin-path)/git-timeturner"; \
		if [ ! -x "$$bin" ]; then $(SWIFT_RELEASE); fi; \
	fi; \
	$(INSTALL) -d "$(BINDIR)" "$(MANDIR)" "$(SHAREDIR)/hooks" "$(DOCDIR)" "$(DOCDIR)/schemas" "$(BASHDIR)" "$(ZSHDIR)" "$(FISHDIR)"; \
	$(INSTALL) -m 0755 "$$bin" "$(BINDIR)/git-timeturner"
	$(INSTALL) -m 0644 $(MANPAGES) "$(MANDIR)/"
	$(INSTALL) -m 0755 hooks/post-deploy "$(SHAREDIR)/hooks/post-deploy"
	$(INSTALL) -m 0644 $(DOCS) "$(DOCDIR)/"
	$(INSTALL) -m 0644 $(SCHEMAS) "$(DOCDIR)/schemas/"
	$(INSTALL) -m 0644 completions/git-timeturner.bash "$(BASHDIR)/git-timeturner"
	$(INSTALL) -m 0644 completions/_git-timeturner "$(ZSHDIR)/_git-timeturner"
	$(INSTALL) -m 0644 completions/git-timeturner.fish "$(FISHDIR)/git-timeturner.fish"
	@echo "installed git-timeturner under $(DESTDIR)$(PREFIX)"

uninstall:
	rm -f "$(BINDIR)/git-timeturner"
	rm -f $(addprefix "$(MANDIR)/,$(addsuffix ",$(notdir $(MANPAGES))))
	rm -f "$(SHAREDIR)/hooks/post-deploy"
	rm -f $(addprefix "$(DOCDIR)/,$(addsuffix ",$(notdir $(DOCS))))
	rm -f $(addprefix "$(DOCDIR)/schemas/,$(addsuffix ",$(notdir $(SCHEMAS))))
	rm -f "$(BASHDIR)/git-timeturner" "$(ZSHDIR)/_git-timeturner" "$(FISHDIR)/git-timeturner.fish"
	-rmdir "$(DOCDIR)/schemas" "$(DOCDIR)" "$(SHAREDIR)/hooks" "$(SHAREDIR)" 2>/dev/null
	@echo "removed git-timeturner from $(DESTDIR)$(PREFIX)"

man:
	bash man/generate
