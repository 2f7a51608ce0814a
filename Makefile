# pyfetch: see README.md. `make test` is what CI runs.
GO       ?= go
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT   ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS  := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
# A count (Nx), not a duration: Go 1.26's fuzz coordinator can fail a
# duration-bounded run with a bare "context deadline exceeded" as time runs
# out (golang/go#75804, fixed in Go 1.27); a count has no deadline to race.
FUZZTIME ?= 200000x
BIN      := bin/pyfetch

.PHONY: build test test-short test-build bench fuzz lint tidy clean update-root

# Static, without cgo, as releases are built (.goreleaser.yaml).
build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/pyfetch

test:
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed on:"; gofmt -l .; exit 1; }
	$(GO) test -race -count=1 -timeout 20m ./...

# Builds the genuine CPython 3.13.5 with install --build, and configures it
# once without OpenSSL to see the build stop there (minutes; needs
# build-essential and the -dev packages .ci/run installs).
test-build:
	PYFETCH_REAL_BUILD=1 $(GO) test -count=1 -timeout 40m -run '^TestRealBuild' -v ./cmd/pyfetch

test-short:
	$(GO) test -short ./...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
	$(GO) test -tags bench -count=1 -run 'TestBenchReport|TestBenchBuild|TestBenchBucket|TestBenchPrebuilt' -v -timeout 90m ./bench | grep -v -e '^=== RUN' -e '^--- PASS' -e '^PASS' -e '^ok' 

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzParseVersion -fuzztime $(FUZZTIME) ./releases
	$(GO) test -run '^$$' -fuzz FuzzVersionFromFileName -fuzztime $(FUZZTIME) ./releases
	$(GO) test -run '^$$' -fuzz FuzzParseListing -fuzztime $(FUZZTIME) ./releases
	$(GO) test -run '^$$' -fuzz FuzzParseBundle -fuzztime $(FUZZTIME) ./verify
	$(GO) test -run '^$$' -fuzz FuzzExtract -fuzztime $(FUZZTIME) ./extract
	$(GO) test -run '^$$' -fuzz FuzzParseSpec -fuzztime $(FUZZTIME) ./releases
	$(GO) test -run '^$$' -fuzz FuzzSignersFile -fuzztime $(FUZZTIME) ./releases
	$(GO) test -run '^$$' -fuzz FuzzParseContentRange -fuzztime $(FUZZTIME) ./fetch
	$(GO) test -run '^$$' -fuzz FuzzReadReceipt -fuzztime $(FUZZTIME) ./install
	$(GO) test -run '^$$' -fuzz FuzzEscape -fuzztime $(FUZZTIME) ./internal/textsafe
	$(GO) test -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME) ./lockfile
	$(GO) test -run '^$$' -fuzz FuzzParseOpenPGP -fuzztime $(FUZZTIME) ./verify
	$(GO) test -run '^$$' -fuzz FuzzAddKeyring -fuzztime $(FUZZTIME) ./verify
	$(GO) test -run '^$$' -fuzz FuzzParseStatement -fuzztime $(FUZZTIME) ./provenance
	$(GO) test -run '^$$' -fuzz FuzzVersionFiles -fuzztime $(FUZZTIME) ./cmd/pyfetch

STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

lint:
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	$(GO) vet -tags bench ./bench
	GOOS=darwin GOARCH=arm64 $(GO) vet ./...
	@test -z "$$(gofmt -l .)" || { gofmt -l .; exit 1; }

tidy:
	$(GO) mod tidy

clean:
	rm -rf bin

# Refresh the embedded public-good trusted root and TUF root from the npm
# package @sigstore/tuf (needs npm and python3).
update-root:
	cd $$(mktemp -d) && npm pack --silent @sigstore/tuf && tar xzf sigstore-tuf-*.tgz && \
	python3 -c "import json,base64,sys; s=json.load(open('package/seeds.json'))['https://tuf-repo-cdn.sigstore.dev']; \
	open('$(CURDIR)/verify/embedded/tuf_root.json','wb').write(base64.b64decode(s['root.json'])); \
	open('$(CURDIR)/verify/embedded/trusted_root.json','wb').write(base64.b64decode(s['targets']['trusted_root.json']))"
