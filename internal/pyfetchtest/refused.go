package pyfetchtest

import (
	"errors"
	"fmt"
	"net"
	"syscall"
	"testing"
)

// RefusedURL is an http URL on 127.0.0.1 that refuses connections for the
// whole test. A closed httptest server's port does not: under load,
// another parallel test's server (or one of its connections) may be given
// the port, and a connection there is then reset or answered. This port
// is held by a socket bound without SO_REUSEADDR that never listens, so
// the system gives it to nobody else and refuses every connection to it.
func RefusedURL(t testing.TB) string {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	in, ok := sa.(*syscall.SockaddrInet4)
	if !ok {
		t.Fatalf("bound to %T", sa)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", in.Port)
	if c, err := net.Dial("tcp", addr); !errors.Is(err, syscall.ECONNREFUSED) {
		if c != nil {
			c.Close()
		}
		t.Fatalf("a connection to %s: %v, want it refused", addr, err)
	}
	return "http://" + addr + "/"
}
