package pyfetchtest

import (
	"archive/tar"
	"bytes"
	"fmt"
)

// SparseTar returns a tar holding one PAX (GNU 1.0) sparse file named name
// whose logical size is realSize while the archive stores 512 bytes:
// archive/tar's writer cannot make these, so the blocks are written by hand.
func SparseTar(name string, realSize int64) []byte {
	recs := paxRecord("GNU.sparse.major", "1") + paxRecord("GNU.sparse.minor", "0") +
		paxRecord("GNU.sparse.name", name) + paxRecord("GNU.sparse.realsize", fmt.Sprint(realSize))
	var out []byte
	out = append(out, rawHeader("PaxHeaders/sparse", tar.TypeXHeader, int64(len(recs)))...)
	out = append(out, pad512([]byte(recs))...)
	body := pad512([]byte("1\n0\n512\n")) // one data block of 512 bytes at offset 0
	body = append(body, bytes.Repeat([]byte("x"), 512)...)
	out = append(out, rawHeader("GNUSparseFile.0/sparse", tar.TypeReg, int64(len(body)))...)
	out = append(out, body...)
	return append(out, make([]byte, 1024)...) // end of archive
}

// rawHeader is a ustar header block with the given type and size.
func rawHeader(name string, typ byte, size int64) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Format: tar.FormatUSTAR})
	tw.Flush()
	h := append([]byte(nil), buf.Bytes()[:512]...)
	h[156] = typ
	copy(h[124:136], fmt.Sprintf("%011o\x00", size))
	copy(h[148:156], "        ")
	sum := 0
	for _, b := range h {
		sum += int(b)
	}
	copy(h[148:156], fmt.Sprintf("%06o\x00 ", sum))
	return h
}

func pad512(b []byte) []byte { return append(b, make([]byte, (512-len(b)%512)%512)...) }

// paxRecord formats "LEN key=value\n" where LEN counts itself.
func paxRecord(k, v string) string {
	rec := " " + k + "=" + v + "\n"
	n := len(rec)
	for {
		s := fmt.Sprintf("%d%s", n, rec)
		if len(s) == n {
			return s
		}
		n = len(s)
	}
}
