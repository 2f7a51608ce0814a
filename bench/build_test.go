//go:build bench

package bench

import (
	"bytes"
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

// TestBenchBuild compares `pyfetch install --build` of the genuine
// 3.13.5 (download from a loopback mirror, verify, unpack, configure,
// make, make install, checks) with the same build by hand from the local
// file (xz -dc | tar x && ./configure && make -j && make install),
// alternating, PYFETCH_BENCH_BUILD_REPS times (default 1: each build
// takes minutes). It also reports the peak RSS of the pyfetch process
// itself (VmHWM, sampled; the compilers are not counted).
func TestBenchBuild(t *testing.T) {
	if _, err := exec.LookPath("cc"); err != nil {
		t.Skip("needs a C toolchain")
	}
	reps, _ := strconv.Atoi(os.Getenv("PYFETCH_BENCH_BUILD_REPS"))
	if reps <= 0 {
		reps = 1
	}
	real := pyfetchtest.RealDir(t)
	xzPath, _ := filepath.Abs(filepath.Join(real, "artifacts", "Python-"+version+".tar.xz"))
	mirror := t.TempDir()
	os.MkdirAll(filepath.Join(mirror, version), 0o755)
	data, err := os.ReadFile(xzPath)
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := os.ReadFile(filepath.Join(real, "bundles", "Python-"+version+".tar.xz.sigstore"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(mirror, version, "Python-"+version+".tar.xz"), data, 0o644)
	os.WriteFile(filepath.Join(mirror, version, "Python-"+version+".tar.xz.sigstore"), bundle, 0o644)
	rootFile, _ := filepath.Abs(filepath.Join(real, "public-good-trusted_root.json"))
	base, server := serve(t, mirror)
	defer server.Close()
	bin := build(t)
	work := t.TempDir()
	jobs := runtime.NumCPU()

	var pyf, hand []sample
	var rss int64
	for range reps {
		home := filepath.Join(work, "home")
		os.RemoveAll(home)
		env := []string{"PYFETCH_HOME=" + home, "HOME=" + work, "PATH=" + os.Getenv("PATH")}
		s, peak := measureRSS(t, env, bin, "install", "--build", "--quiet", "--format", "tar.xz", "--mirror", base, "--trusted-root", rootFile, version)
		pyf = append(pyf, s)
		rss = max(rss, peak)
		os.RemoveAll(home)

		src := filepath.Join(work, "hand")
		os.RemoveAll(src)
		os.MkdirAll(src, 0o755)
		script := fmt.Sprintf("cd %[1]s && xz -dc %[2]s | tar x && cd Python-%[3]s && ./configure --prefix=%[1]s/prefix >/dev/null && make -j%[4]d >/dev/null 2>&1 && make install >/dev/null 2>&1", src, xzPath, version, jobs)
		hand = append(hand, measure(t, nil, "sh", "-c", script))
		os.RemoveAll(src)
	}
	var out strings.Builder
	fmt.Fprintf(&out, "\ninstall --build of the genuine %s, %s/%s, %d CPUs, %s, %d repetition(s), make -j%d\n\n", version, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel(), reps, jobs)
	out.WriteString("| way | median | spread (min–max) | ratio |\n|---|---|---|---|\n")
	for _, r := range [][]string{
		row("", "pyfetch install --build (download + verify + unpack + build + checks)", pyf, fmt.Sprintf("%.2f× of the hand build", float64(median(pyf).wall)/float64(median(hand).wall)))[1:],
		row("", "by hand: xz -dc \\| tar x && ./configure && make -j && make install (unverified)", hand, "")[1:],
	} {
		out.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	fmt.Fprintf(&out, "\npeak RSS of the pyfetch process during install --build: %.1f MB\n", float64(rss)/1024)
	fmt.Print(out.String())
}

// measureRSS runs args and samples the process's own peak RSS (VmHWM).
func measureRSS(t *testing.T, env []string, args ...string) (sample, int64) {
	t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = env
	var errb bytes.Buffer
	cmd.Stderr = &errb
	exec.Command("sync").Run()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	peak := make(chan int64, 1)
	go func() {
		var hwm int64
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid)); err == nil {
				for _, l := range strings.Split(string(b), "\n") {
					if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
						n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
						hwm = max(hwm, n)
					}
				}
			}
			select {
			case <-done:
				peak <- hwm
				return
			case <-tick.C:
			}
		}
	}()
	err := cmd.Wait()
	wall := time.Since(start)
	close(done)
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, errb.String())
	}
	return sample{wall: wall}, <-peak
}
