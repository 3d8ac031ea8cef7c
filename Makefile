# Rampart: one command per job. `make demo` runs the demo server on its
# embedded defaults; `make test` runs every test.
GO      ?= go
PKGS    := ./...
# npm packages the tests run (pinned by their package-lock.json): the
# graphql-ws client and the graphql-http spec audit.
NPMDIRS := wssec/gqlws/testdata/interop demo/server/testdata/httpaudit

.PHONY: demo demo-tls test vet unit interop-deps generate check-generated bench bench-peers fuzz redis-check tidy

## demo: run the demo server on 127.0.0.1:8080 with an embedded SQLite file.
demo:
	$(GO) run ./demo/server

## demo-tls: the demo over HTTPS with a fresh self-signed pair for 127.0.0.1
## and localhost in .tls/ (made with the Go toolchain's generate_cert.go).
demo-tls:
	@mkdir -p .tls
	@[ -f .tls/cert.pem ] || (cd .tls && $(GO) run "$$($(GO) env GOROOT)/src/crypto/tls/generate_cert.go" --host 127.0.0.1,localhost --ecdsa-curve P256)
	$(GO) run ./demo/server -tls-cert .tls/cert.pem -tls-key .tls/key.pem

## test: go vet, then every test with the race detector (Redis-backed tests
## start a loopback redis-server themselves; the WebSocket interoperability
## test runs the graphql-ws npm client).
test: vet interop-deps redis-check
	$(GO) test -race -count=1 -timeout 20m $(PKGS)

vet:
	$(GO) vet $(PKGS)
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { echo "gofmt needed:"; gofmt -l $$(git ls-files '*.go'); exit 1; }

## interop-deps: install the pinned npm packages the tests run (the
## graphql-ws client, the graphql-http audit).
interop-deps:
	@command -v npm >/dev/null || { \
	  echo "npm not found: install Node.js >= 18 and npm (apt-get install -y nodejs npm)"; exit 1; }
	@for d in $(NPMDIRS); do \
	  if [ -f $$d/package-lock.json ] && [ ! -d $$d/node_modules ]; then \
	    npm ci --prefix $$d --no-audit --no-fund || exit 1; \
	  fi; \
	done

redis-check:
	@command -v redis-server >/dev/null || [ -n "$$REDIS_URL" ] || { \
	  echo "redis-server not found: install it (apt-get install -y redis-server) or set REDIS_URL"; exit 1; }

## generate: regenerate the demo's gqlgen code (committed; a test fails when stale).
generate:
	$(GO) run ./cmd/rampart sdl -o demo/graph/rampart.graphqls
	$(GO) tool gqlgen generate --config gqlgen.yml

## bench: Rampart against its baselines in one run (COUNT rounds, default 5;
## about 5 minutes on 2 cores): raw output in bench.txt, then a table of
## medians and Rampart/baseline ratios. See PERFORMANCE.md.
bench:
	GO=$(GO) bash scripts/bench.sh

## bench-peers: Rampart's gqlsec against graphql-armor 3.2.0 on graphql-js
## 16.15.0 (pinned npm packages in scripts/peers), interleaved rounds, on
## the same documents: median time to verdict and the ratio per document,
## at armor's defaults and at Rampart's. ROUNDS (default 5). See
## PERFORMANCE.md.
ROUNDS ?= 5
bench-peers:
	@command -v node >/dev/null || { echo "node not found: install Node.js >= 18 and npm"; exit 1; }
	@[ -d scripts/peers/node_modules ] || npm ci --prefix scripts/peers --no-audit --no-fund
	$(GO) run ./internal/benchpeers -rounds $(ROUNDS)

## fuzz: run each fuzz target for FUZZTIME (default 30s).
FUZZTIME ?= 30s
fuzz:
	@for pkg in $$($(GO) list $(PKGS)); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done
