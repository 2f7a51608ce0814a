//go:build bench

package bench

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pyfetch/pyfetch/internal/pyfetchtest"
)

// TestBenchPrebuilt measures build once, install everywhere on the
// genuine 3.13.5: a first `install --build` (ccache and configure's
// cache cold), a second `install --build --force` of the same version
// (both warm; target ≤ 0.25× of the first), then `publish` to a
// loopback mirror and, PYFETCH_BENCH_REPS times (default 5), alternating,
// `sync` before each, `install --prebuilt` into a fresh home (download,
// the fleet's signature, the digest, python.org's signature on the
// source, unpack, relocate, sync, rename) against `curl | zstd -dc | tar
// x` of the same archive (unverified). Targets: the prebuilt install ≤
// 0.03× of the first build and under 5 s, and ≤ 1.0× of curl | tar.
func TestBenchPrebuilt(t *testing.T) {
	for _, tool := range []string{"cc", "curl", "zstd", "tar"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("needs %s", tool)
		}
	}
	reps, _ := strconv.Atoi(os.Getenv("PYFETCH_BENCH_REPS"))
	if reps <= 0 {
		reps = 5
	}
	real := pyfetchtest.RealDir(t)
	rootFile, _ := filepath.Abs(filepath.Join(real, "public-good-trusted_root.json"))
	mirror := t.TempDir()
	os.MkdirAll(filepath.Join(mirror, version), 0o755)
	for _, f := range []string{"artifacts/Python-" + version + ".tar.xz", "bundles/Python-" + version + ".tar.xz.sigstore"} {
		data, err := os.ReadFile(filepath.Join(real, f))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(mirror, version, filepath.Base(f)), data, 0o644)
	}
	base, server := serve(t, mirror)
	defer server.Close()
	bin := build(t)
	work := t.TempDir()
	builder := filepath.Join(work, "builder")
	env := func(home string) []string {
		return []string{"PYFETCH_HOME=" + home, "HOME=" + work, "PATH=" + os.Getenv("PATH")}
	}
	common := []string{"--format", "tar.xz", "--mirror", base, "--trusted-root", rootFile}

	first := measure(t, env(builder), append(append([]string{bin, "install", "--build"}, common...), version)...)
	second := measure(t, env(builder), append(append([]string{bin, "install", "--build", "--force"}, common...), version)...)
	rc, _ := os.ReadFile(filepath.Join(builder, "versions", version, ".pyfetch-receipt.json"))
	caches := "ccache and configure cache: " + strings.Join(fields(string(rc), `"ccache"`, `"configure_cache"`), ", ")

	keys := t.TempDir()
	run := func(env []string, args ...string) {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	cmdEnv := func(e []string, args ...string) {
		c := exec.Command(args[0], args[1:]...)
		c.Env = e
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	run(nil, bin, "keygen", filepath.Join(keys, "fleet"))
	cmdEnv(env(builder), bin, "publish", "--offline", "--trusted-root", rootFile, "--sign-key", filepath.Join(keys, "fleet.key"), mirror, version)
	archives, _ := filepath.Glob(filepath.Join(mirror, version, "prebuilt", "cpython-*.tar.zst"))
	if len(archives) != 1 {
		t.Fatalf("published %v", archives)
	}
	fi, _ := os.Stat(archives[0])
	url := base + version + "/prebuilt/" + filepath.Base(archives[0])

	var pre, hand []sample
	runPre := func() {
		home := filepath.Join(work, "runner")
		os.RemoveAll(home)
		pre = append(pre, measure(t, env(home), append(append([]string{bin, "install", "--prebuilt", "--prebuilt-key", filepath.Join(keys, "fleet.pub")}, common...), version)...))
		out, err := exec.Command(filepath.Join(home, "versions", version, "bin", "python3"), "-c", "import ssl, sqlite3; print('ok')").CombinedOutput()
		if err != nil || strings.TrimSpace(string(out)) != "ok" {
			t.Fatalf("the prebuilt python: %v %s", err, out)
		}
		os.RemoveAll(home)
	}
	runHand := func() {
		dir := filepath.Join(work, "hand")
		os.RemoveAll(dir)
		os.MkdirAll(dir, 0o755)
		hand = append(hand, measure(t, nil, "sh", "-c", fmt.Sprintf("curl -sf %s | zstd -dc | tar -x -C %s", url, dir)))
		os.RemoveAll(dir)
	}
	for i := range reps {
		if i%2 == 0 {
			runPre()
			runHand()
		} else {
			runHand()
			runPre()
		}
	}
	p, h := median(pre).wall, median(hand).wall
	verdict := func(ok bool) string {
		if ok {
			return "met"
		}
		return "MISSED"
	}
	var out strings.Builder
	fmt.Fprintf(&out, "\nbuild once, install everywhere: the genuine %s, %s/%s, %d CPUs, %s, %s, prebuilt archive %.1f MB (zstd)\n\n", version, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel(), serverName, float64(fi.Size())/1e6)
	out.WriteString("| what | median | spread (min–max) | ratio | target |\n|---|---|---|---|---|\n")
	fmt.Fprintf(&out, "| install --build, first (caches cold) | %s | one run | | |\n", first.wall.Round(100*time.Millisecond))
	r2 := float64(second.wall) / float64(first.wall)
	fmt.Fprintf(&out, "| install --build --force, again (%s) | %s | one run | %.2f× of the first | ≤ 0.25×: %s |\n", caches, second.wall.Round(100*time.Millisecond), r2, verdict(r2 <= 0.25))
	r := row("", "", pre, "")
	rb := float64(p) / float64(first.wall)
	fmt.Fprintf(&out, "| install --prebuilt (download, fleet signature, digest, python.org signature, unpack, relocate, sync) | %s | %s | %.3f× of the first build | ≤ 0.03× and < 5 s: %s |\n", r[2], r[3], rb, verdict(rb <= 0.03 && p < 5*time.Second))
	r = row("", "", hand, "")
	rh := float64(p) / float64(h)
	fmt.Fprintf(&out, "| curl \\| zstd -dc \\| tar x of the same archive (unverified) | %s | %s | prebuilt: %.2f× of this | ≤ 1.0×: %s |\n", r[2], r[3], rh, verdict(rh <= 1.0))
	fmt.Print(out.String())
}

// fields picks `"name": value` pairs out of a receipt's JSON text.
func fields(doc string, names ...string) []string {
	var out []string
	for _, line := range strings.Split(doc, "\n") {
		line = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(line), ","))
		for _, n := range names {
			if strings.HasPrefix(line, n+":") {
				out = append(out, line)
			}
		}
	}
	return out
}
