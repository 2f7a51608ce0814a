// Package bench holds the benchmarks behind docs/performance.md's figures, built
// only with the tag "bench": report_test.go (pyfetch against curl | tar
// and friends) and build_test.go (install --build against the same build
// by hand, phase by phase). Run them with make bench.
package bench
