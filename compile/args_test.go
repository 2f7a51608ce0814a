package compile

import (
	"errors"
	"testing"
)

func TestCheckConfigureArgs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args         []string
		freeThreaded bool
		ok           bool
	}{
		{nil, false, true},
		{[]string{"--enable-shared", "--with-openssl=/opt/ssl", "CC=clang", "CFLAGS=-O2", "--with-platlibdir=lib64", "--build=x86_64-linux-gnu"}, false, true},
		{[]string{"--enable-optimizations", "--with-lto", "-C", "--srcdir=."}, false, true},
		{[]string{"--prefix=/usr"}, false, false},
		{[]string{"--prefix", "/usr"}, false, false},
		{[]string{"-prefix=/usr"}, false, false},
		{[]string{"--pre=/usr"}, false, false},
		{[]string{"--exec_prefix=/usr"}, false, false},
		{[]string{"--exec-prefix=/usr"}, false, false},
		{[]string{"--libdir=/usr/lib"}, false, false},
		{[]string{"--LIBDIR=/usr/lib"}, false, false},
		{[]string{"--bindir=/usr/local/bin"}, false, false},
		{[]string{"--mandir=/tmp/man"}, false, false},
		{[]string{"prefix=/usr"}, false, false},
		{[]string{"exec_prefix=/usr"}, false, false},
		{[]string{"--disable-gil"}, false, false},
		{[]string{"--enable-gil=no"}, false, false},
		{[]string{"--disable-gil"}, true, true},
		{[]string{"--enable-gil"}, true, false},
	}
	for _, tc := range tests {
		err := CheckConfigureArgs(tc.args, tc.freeThreaded)
		if tc.ok != (err == nil) || (err != nil && !errors.Is(err, ErrConfigureArg)) {
			t.Errorf("CheckConfigureArgs(%q, freethreaded %v) = %v, want ok %v", tc.args, tc.freeThreaded, err, tc.ok)
		}
	}
}
