// Package fetch downloads files over http(s) or from file:// URLs.
//
// Guarantees: the body is read once, written to dst.part and hashed with
// SHA-256 as it arrives; transient failures (connection errors, 5xx, 429
// with Retry-After, stalls, cut bodies) are retried and resumed with Range,
// checking Content-Range, and a server that ignores Range still ends in a
// correct file; a caller-supplied check sees the size and digest before
// dst.part is renamed to dst, so a file at dst is always complete and has
// passed the check; redirects away from https are refused; the package
// never prints (diagnostics go to a callback).
package fetch
