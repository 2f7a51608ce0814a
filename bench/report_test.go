//go:build bench

// Package bench compares a pyfetch install with the unverified ways of
// getting the same tree (curl | tar, curl + sha256sum + tar, tar alone).
// Run it with `make bench` (it builds only with -tags bench, so `make
// test` neither runs nor skips it).
package bench

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pyfetch/pyfetch/internal/pyfetchtest"
)

const version = "3.13.5"

type sample struct {
	wall time.Duration
}

// TestBenchReport prints a markdown table: median and spread over
// PYFETCH_BENCH_REPS runs (default 5) of each way, for tar.xz and tgz.
func TestBenchReport(t *testing.T) {
	for _, tool := range []string{"curl", "tar", "sha256sum", "xz", "gzip"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is needed for the baselines", tool)
		}
	}
	reps, _ := strconv.Atoi(os.Getenv("PYFETCH_BENCH_REPS"))
	if reps <= 0 {
		reps = 5
	}
	real := pyfetchtest.RealDir(t)
	xzData, err := os.ReadFile(filepath.Join(real, "artifacts", "Python-"+version+".tar.xz"))
	if err != nil {
		t.Fatal(err)
	}
	tgzData := shell(t, xzData, "xz -dc | gzip -6")

	ss := pyfetchtest.NewSigstore(t)
	mirror := t.TempDir()
	put := func(rel string, data []byte) {
		p := filepath.Join(mirror, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range map[string][]byte{"tar.xz": xzData, "tgz": tgzData} {
		art := version + "/Python-" + version + "." + name
		put(art, data)
		put(art+".sigstore", ss.Sign(t, "thomas@python.org", "https://accounts.google.com", data))
	}
	// A 10× larger synthetic release, to show peak RSS stays flat.
	big := syntheticRelease(t, "3.13.99", 10*len(tgzData))
	put("3.13.99/Python-3.13.99.tgz", big)
	put("3.13.99/Python-3.13.99.tgz.sigstore", ss.Sign(t, "thomas@python.org", "https://accounts.google.com", big))

	base, server := serve(t, mirror)
	slowBase, slowServer := serveThrottled(t, mirror, throttleBytesPerSec)
	defer slowServer.Close()
	bin := build(t)

	work := t.TempDir()
	shm := tmpfsDir(t)
	hand := handVerifier(t, bin)
	rows := [][]string{}
	ratio := func(a, b []sample) string {
		return fmt.Sprintf("%.2f×", float64(median(a).wall)/float64(median(b).wall))
	}
	for _, f := range []struct{ format, tarFlag, size string }{
		{"tar.xz", "J", mb(len(xzData))}, {"tgz", "z", mb(len(tgzData))},
	} {
		url := base + version + "/Python-" + version + "." + f.format
		local := filepath.Join(mirror, version, "Python-"+version+"."+f.format)
		var cold, warm, curlTar, careful, byHand, tarOnly, tarSync, slowCold, slowCurlTar, shmWarm, shmTar []sample
		slowURL := slowBase + version + "/Python-" + version + "." + f.format
		for range reps {
			home := filepath.Join(work, "home")
			env := []string{"PYFETCH_HOME=" + home, "PYFETCH_MIRROR=" + base, "PYFETCH_TRUSTED_ROOT=" + ss.RootFile, "HOME=" + work, "PATH=" + os.Getenv("PATH")}
			args := []string{bin, "install", "--quiet", "--format", f.format, version}
			os.RemoveAll(home)
			cold = append(cold, measure(t, env, args...))
			os.RemoveAll(filepath.Join(home, "versions"))
			warm = append(warm, measure(t, env, args...))
			os.RemoveAll(home)

			dst := filepath.Join(work, "out")
			reset := func() { os.RemoveAll(dst); os.MkdirAll(dst, 0o755) }
			reset()
			curlTar = append(curlTar, measure(t, nil, "sh", "-c", fmt.Sprintf("curl -fsS %s | tar x%sf - -C %s", url, f.tarFlag, dst)))
			reset()
			careful = append(careful, measure(t, nil, "sh", "-c", fmt.Sprintf("curl -fsS -o %[1]s/a %[2]s && sha256sum %[1]s/a >/dev/null && tar x%[3]sf %[1]s/a -C %[1]s", dst, url, f.tarFlag)))
			reset()
			// The verified way by hand: download both, verify the bundle
			// (cosign verify-blob when installed, as python.org documents;
			// else pyfetch verify, the same sigstore-go), then unpack.
			name := "Python-" + version + "." + f.format
			byHand = append(byHand, measure(t, []string{"HOME=" + work, "PATH=" + os.Getenv("PATH"), "PYFETCH_HOME=" + filepath.Join(work, "vh"), "PYFETCH_TRUSTED_ROOT=" + ss.RootFile}, "sh", "-c",
				fmt.Sprintf("curl -fsS -o %[1]s/%[4]s %[2]s && curl -fsS -o %[1]s/%[4]s.sigstore %[2]s.sigstore && %[5]s >/dev/null && tar x%[3]sf %[1]s/%[4]s -C %[1]s", dst, url, f.tarFlag, name, hand.command(filepath.Join(dst, name), ss.RootFile))))
			reset()
			tarOnly = append(tarOnly, measure(t, nil, "tar", "x"+f.tarFlag+"f", local, "-C", dst))
			reset()
			// tar x then sync -f: as durable as pyfetch's install, which
			// syncs its tree before the rename that makes it visible.
			tarSync = append(tarSync, measure(t, nil, "sh", "-c", fmt.Sprintf("tar x%sf %s -C %s && sync -f %[3]s", f.tarFlag, local, dst)))
			os.RemoveAll(dst)
			// A slow link (about 100 Mbit/s): the signature gate means
			// pyfetch cannot unpack while the bytes arrive, as curl | tar does.
			slowEnv := []string{"PYFETCH_HOME=" + home, "PYFETCH_MIRROR=" + slowBase, "PYFETCH_TRUSTED_ROOT=" + ss.RootFile, "HOME=" + work, "PATH=" + os.Getenv("PATH")}
			os.RemoveAll(home)
			slowCold = append(slowCold, measure(t, slowEnv, bin, "install", "--quiet", "--format", f.format, version))
			os.RemoveAll(home)
			reset()
			slowCurlTar = append(slowCurlTar, measure(t, nil, "sh", "-c", fmt.Sprintf("curl -fsS %s | tar x%sf - -C %s", slowURL, f.tarFlag, dst)))
			os.RemoveAll(dst)
			// Into tmpfs, where the disk's minute-to-minute swings are
			// out and only each tool's own work remains.
			if shm != "" {
				shmHome := filepath.Join(shm, "home")
				shmEnv := []string{"PYFETCH_HOME=" + shmHome, "PYFETCH_MIRROR=" + base, "PYFETCH_TRUSTED_ROOT=" + ss.RootFile, "HOME=" + work, "PATH=" + os.Getenv("PATH")}
				measure(t, shmEnv, args...) // primes the cache
				os.RemoveAll(filepath.Join(shmHome, "versions"))
				shmWarm = append(shmWarm, measure(t, shmEnv, args...))
				os.RemoveAll(shmHome)
				shmDst := filepath.Join(shm, "out")
				os.MkdirAll(shmDst, 0o755)
				shmTar = append(shmTar, measure(t, nil, "tar", "x"+f.tarFlag+"f", local, "-C", shmDst))
				os.RemoveAll(shmDst)
			}
		}
		rows = append(rows,
			row(f.format+" ("+f.size+")", "pyfetch install, cold (download + verify + unpack)", cold, ratio(cold, curlTar)+" of curl \\| tar"),
			row("", "pyfetch install, warm (re-hash + verify + unpack)", warm, ratio(warm, tarOnly)+" of tar x"),
			row("", "curl \\| tar x (unverified)", curlTar, ""),
			row("", "curl -o + sha256sum + tar x (no signature check)", careful, ""),
			row("", "by hand, verified: curl -o artifact + bundle, "+hand.name+", tar x", byHand, ratio(cold, byHand)+" (pyfetch cold / this)"),
			row("", "tar x of the local file", tarOnly, ""),
			row("", "tar x of the local file, then sync -f (as durable as pyfetch's install)", tarSync, "pyfetch warm: "+ratio(warm, tarSync)+" of this"),
			row("", "pyfetch install, cold, ~100 Mbit/s link", slowCold, ratio(slowCold, slowCurlTar)+" of curl \\| tar on the same link"),
			row("", "curl \\| tar x, ~100 Mbit/s link (unverified)", slowCurlTar, ""),
		)
		if shm != "" {
			rows = append(rows,
				row("", "tmpfs: pyfetch install, warm", shmWarm, ratio(shmWarm, shmTar)+" of tar x into tmpfs"),
				row("", "tmpfs: tar x of the local file", shmTar, ""))
		}
	}
	// Peak RSS, real vs 10× synthetic.
	home := filepath.Join(work, "home")
	env := []string{"PYFETCH_HOME=" + home, "PYFETCH_MIRROR=" + base, "PYFETCH_TRUSTED_ROOT=" + ss.RootFile, "HOME=" + work, "PATH=" + os.Getenv("PATH")}
	realRSS := peakRSS(t, env, bin, "install", "--quiet", "--format", "tgz", version)
	bigRSS := peakRSS(t, env, bin, "install", "--quiet", "--format", "tgz", "3.13.99")
	var startup []sample
	for range 20 {
		startup = append(startup, measure(t, nil, bin, "version"))
	}
	server.Close()

	var out strings.Builder
	fmt.Fprintf(&out, "\n%s/%s, %d CPUs, %s, %d repetitions, mirror: %s\n\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel(), reps, serverName)
	out.WriteString("| archive | way | median | spread (min–max) | ratio |\n|---|---|---|---|---|\n")
	for _, r := range rows {
		out.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	fmt.Fprintf(&out, "\npeak RSS of pyfetch install: %.1f MB for the real tgz (%s), %.1f MB for a 10× larger synthetic tgz (%s)\n",
		float64(realRSS)/1024, mb(len(tgzData)), float64(bigRSS)/1024, mb(len(big)))
	fmt.Fprintf(&out, "pyfetch version start-up: median %s\n", median(startup).wall.Round(100*time.Microsecond))
	fmt.Fprintf(&out, "(verification alone and SHA-256 throughput: go test -bench 'VerifyReal|DownloadFile' ./verify ./fetch)\n")
	fmt.Print(out.String())
	if p := os.Getenv("PYFETCH_BENCH_OUT"); p != "" {
		os.WriteFile(p, []byte(out.String()), 0o644)
	}
}

var serverName = "Go net/http file server"

// throttleBytesPerSec is the slow link's speed: about 100 Mbit/s.
const throttleBytesPerSec = 12_500_000

// serveThrottled serves dir over loopback no faster than rate bytes a
// second (Range requests and listings included), with Go's file server.
func serveThrottled(t *testing.T, dir string, rate int) (string, interface{ Close() }) {
	fsrv := http.FileServer(http.Dir(dir))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fsrv.ServeHTTP(&throttledWriter{ResponseWriter: w, rate: rate, start: time.Now()}, r)
	}))
	return srv.URL + "/", srv
}

type throttledWriter struct {
	http.ResponseWriter
	rate  int
	start time.Time
	sent  int
}

func (w *throttledWriter) Write(p []byte) (int, error) {
	const chunk = 64 << 10
	n := 0
	for n < len(p) {
		m := min(chunk, len(p)-n)
		k, err := w.ResponseWriter.Write(p[n : n+m])
		n += k
		w.sent += k
		if err != nil {
			return n, err
		}
		if ahead := time.Duration(float64(w.sent)/float64(w.rate)*float64(time.Second)) - time.Since(w.start); ahead > 0 {
			time.Sleep(ahead)
		}
	}
	return n, nil
}

// serve prefers a real nginx, as the issue asks, else Go's file server.
func serve(t *testing.T, dir string) (string, interface{ Close() }) {
	if _, err := exec.LookPath("nginx"); err == nil {
		ng := pyfetchtest.StartNginx(t, dir)
		serverName = "nginx on loopback"
		return ng.URL, nopCloser{}
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	return srv.URL + "/", srv
}

// build builds pyfetch as releases are built (.goreleaser.yaml): static,
// without cgo, which also starts ~4 ms sooner than a binary that loads
// the C library.
func build(t *testing.T) string {
	bin := filepath.Join(t.TempDir(), "pyfetch")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, "../cmd/pyfetch")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func measure(t *testing.T, env []string, args ...string) sample {
	t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	if env != nil {
		cmd.Env = env
	}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	// Nobody pays for another run's writeback: flush first.
	exec.Command("sync").Run()
	start := time.Now()
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, errb.String())
	}
	return sample{wall: time.Since(start)}
}

// peakRSS runs args under /usr/bin/time and returns the peak RSS in KiB.
// (A child's own rusage is no good: Linux carries ru_maxrss across
// execve, and Go forks from the large test process.)
func peakRSS(t *testing.T, env []string, args ...string) int64 {
	t.Helper()
	if _, err := os.Stat("/usr/bin/time"); err != nil {
		return -1
	}
	out := filepath.Join(t.TempDir(), "rss")
	cmd := exec.Command("/usr/bin/time", append([]string{"-f", "%M", "-o", out}, args...)...)
	cmd.Env = env
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, b)
	}
	b, _ := os.ReadFile(out)
	n, _ := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return n
}

func median(s []sample) sample {
	c := slices.Clone(s)
	slices.SortFunc(c, func(a, b sample) int { return int(a.wall - b.wall) })
	return c[len(c)/2]
}

func row(archive, way string, s []sample, ratio string) []string {
	c := slices.Clone(s)
	slices.SortFunc(c, func(a, b sample) int { return int(a.wall - b.wall) })
	r := func(d time.Duration) string { return d.Round(10 * time.Millisecond).String() }
	return []string{archive, way, r(median(s).wall), r(c[0].wall) + "–" + r(c[len(c)-1].wall), ratio}
}

func shell(t *testing.T, in []byte, script string) []byte {
	cmd := exec.Command("sh", "-c", script)
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", script, err)
	}
	return out
}

// syntheticRelease is a tgz of about size bytes of incompressible files.
func syntheticRelease(t *testing.T, v string, size int) []byte {
	top := "Python-" + v + "/"
	entries := []pyfetchtest.Entry{{Name: top + "README.rst", Body: "synthetic\n"}}
	chunk := make([]byte, 8<<20)
	for i := 0; i*len(chunk) < size; i++ {
		rand.Read(chunk)
		entries = append(entries, pyfetchtest.Entry{Name: fmt.Sprintf("%sdata/blob%03d.bin", top, i), Body: string(chunk)})
	}
	return pyfetchtest.Gzip(t, pyfetchtest.Tar(t, entries))
}

func mb(n int) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }

func cpuModel() string {
	data, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "model name") {
			if _, v, ok := strings.Cut(l, ":"); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return "unknown CPU"
}

type nopCloser struct{}

func (nopCloser) Close() {}

// tmpfsDir is a private folder in /dev/shm when that is a tmpfs the
// test can write, or "" (the tmpfs rows are then left out).
func tmpfsDir(t *testing.T) string {
	var st syscall.Statfs_t
	if err := syscall.Statfs("/dev/shm", &st); err != nil || st.Type != tmpfsMagic {
		t.Log("no writable tmpfs at /dev/shm: the tmpfs rows are left out")
		return ""
	}
	dir, err := os.MkdirTemp("/dev/shm", "pyfetch-bench-")
	if err != nil {
		t.Logf("no writable tmpfs at /dev/shm (%v): the tmpfs rows are left out", err)
		return ""
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// tmpfsMagic is TMPFS_MAGIC from linux/magic.h.
const tmpfsMagic = 0x01021994

// verifierByHand is how the verified way by hand checks a bundle.
type verifierByHand struct {
	name    string
	command func(artifact, root string) string
}

// handVerifier is cosign verify-blob when it is on $PATH or in Go's bin
// folder (go install github.com/sigstore/cosign/v2/cmd/cosign@v2.6.5), as
// python.org documents; else pyfetch verify, sigstore-go as cosign uses
// it, standing in (and starting faster: the hand way is then cheaper
// than it is for a user). --insecure-ignore-sct: the in-process
// VirtualSigstore's certificates carry no SCT (one signature check fewer
// than a python.org bundle costs cosign).
func handVerifier(t *testing.T, bin string) verifierByHand {
	cosign, err := exec.LookPath("cosign")
	if err != nil {
		if gopath, gerr := exec.Command("go", "env", "GOPATH").Output(); gerr == nil {
			p := filepath.Join(strings.TrimSpace(string(gopath)), "bin", "cosign")
			if _, serr := os.Stat(p); serr == nil {
				cosign, err = p, nil
			}
		}
	}
	if err != nil {
		t.Log("cosign not found: the verified way by hand uses pyfetch verify (sigstore-go) instead")
		return verifierByHand{name: "pyfetch verify (no cosign here)", command: func(artifact, _ string) string {
			return bin + " verify " + artifact
		}}
	}
	return verifierByHand{name: "cosign verify-blob", command: func(artifact, root string) string {
		return fmt.Sprintf("%s verify-blob --new-bundle-format --insecure-ignore-sct --bundle %[2]s.sigstore --trusted-root %[3]s --certificate-identity thomas@python.org --certificate-oidc-issuer https://accounts.google.com %[2]s", cosign, artifact, root)
	}}
}
