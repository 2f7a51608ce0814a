// Package bench holds the install benchmark (report_test.go, build tag
// "bench"): pyfetch against curl | tar and friends. Run it with make bench.
package bench
