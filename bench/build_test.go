//go:build bench

package bench

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pyfetch/pyfetch/internal/pyfetchtest"
)

// buildPhases are the steps both ways share, in order; "prepare" is
// everything before configure (pyfetch: download, verify, unpack; by
// hand: xz -dc | tar x) and "finish" everything after make install
// (pyfetch: the interpreter checks, the durability sync, the rename; by
// hand: nothing).
var buildPhases = []string{"prepare", "configure", "compile", "install", "finish"}

// TestBenchBuild compares `pyfetch install --build` of the genuine
// 3.13.5 (download from a loopback mirror, verify, unpack, configure,
// make, make install, checks) with the same build by hand from the local
// file (xz -dc | tar x && ./configure && make -j && make install),
// PYFETCH_BENCH_BUILD_REPS times each (default 3; a build takes minutes),
// alternating which goes first, `sync` before each. Besides the totals it
// times each phase of both from the lines they print as a phase starts,
// so that what pyfetch adds (prepare and finish) is seen apart from the
// compiler's run-to-run noise. It also reports the peak RSS of the
// pyfetch process itself (VmHWM, sampled; the compilers are not counted).
func TestBenchBuild(t *testing.T) {
	if _, err := exec.LookPath("cc"); err != nil {
		t.Skip("needs a C toolchain")
	}
	reps, _ := strconv.Atoi(os.Getenv("PYFETCH_BENCH_BUILD_REPS"))
	if reps <= 0 {
		reps = 3
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

	var pyf, hand []phased
	var rss int64
	runPyfetch := func() {
		home := filepath.Join(work, "home")
		os.RemoveAll(home)
		defer os.RemoveAll(home)
		env := []string{"PYFETCH_HOME=" + home, "HOME=" + work, "PATH=" + os.Getenv("PATH")}
		// Not --quiet: in a pipe pyfetch prints "building X: <phase>"
		// as each phase starts.
		p, peak := runPhased(t, env, []string{bin, "install", "--build", "--format", "tar.xz", "--mirror", base, "--trusted-root", rootFile, version}, "building "+version+": ")
		pyf = append(pyf, p)
		rss = max(rss, peak)
	}
	runHand := func() {
		src := filepath.Join(work, "hand")
		os.RemoveAll(src)
		defer os.RemoveAll(src)
		os.MkdirAll(src, 0o755)
		script := fmt.Sprintf(`set -e
cd %[1]s
xz -dc %[2]s | tar x
cd Python-%[3]s
echo "phase: configure" >&2
./configure --prefix=%[1]s/prefix >/dev/null 2>&1
echo "phase: compile" >&2
make -j%[4]d >/dev/null 2>&1
echo "phase: install" >&2
make install >/dev/null 2>&1
echo "phase: finish" >&2`, src, xzPath, version, jobs)
		p, _ := runPhased(t, nil, []string{"sh", "-c", script}, "phase: ")
		hand = append(hand, p)
	}
	for i := range reps {
		if i%2 == 0 {
			runPyfetch()
			runHand()
		} else {
			runHand()
			runPyfetch()
		}
	}

	ratio := float64(medianOf(pyf, total)) / float64(medianOf(hand, total))
	var out strings.Builder
	fmt.Fprintf(&out, "\ninstall --build of the genuine %s, %s/%s, %d CPUs, %s, %d repetition(s) each, alternating, make -j%d\n\n", version, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel(), reps, jobs)
	out.WriteString("| way | median | spread (min–max) | ratio |\n|---|---|---|---|\n")
	fmt.Fprintf(&out, "| pyfetch install --build (download + verify + unpack + build + checks + sync) | %s | %s | %.2f× of the hand build |\n", round(medianOf(pyf, total)), spread(pyf, total), ratio)
	fmt.Fprintf(&out, "| by hand: xz -dc \\| tar x && ./configure && make -j%d && make install (unverified) | %s | %s |  |\n", jobs, round(medianOf(hand, total)), spread(hand, total))
	out.WriteString("\nper phase, median (spread):\n\n| phase | pyfetch | by hand |\n|---|---|---|\n")
	for _, ph := range buildPhases {
		fmt.Fprintf(&out, "| %s | %s (%s) | %s (%s) |\n", ph, round(medianOf(pyf, phaseOf(ph))), spread(pyf, phaseOf(ph)), round(medianOf(hand, phaseOf(ph))), spread(hand, phaseOf(ph)))
	}
	own := medianOf(pyf, phaseOf("prepare")) + medianOf(pyf, phaseOf("finish")) - medianOf(hand, phaseOf("prepare"))
	fmt.Fprintf(&out, "\nwhat pyfetch adds (its prepare + finish − the hand untar, medians): %s, %.1f%% of the hand build\n", round(own), 100*float64(own)/float64(medianOf(hand, total)))
	fmt.Fprintf(&out, "peak RSS of the pyfetch process during install --build: %.1f MB\n", float64(rss)/1024)
	fmt.Print(out.String())
}

// phased is one timed run: its total and how long each phase took.
type phased struct {
	total  time.Duration
	phases map[string]time.Duration
}

func total(p phased) time.Duration { return p.total }

func phaseOf(name string) func(phased) time.Duration {
	return func(p phased) time.Duration { return p.phases[name] }
}

func medianOf(ps []phased, f func(phased) time.Duration) time.Duration {
	v := sorted(ps, f)
	return v[len(v)/2]
}

func spread(ps []phased, f func(phased) time.Duration) string {
	v := sorted(ps, f)
	return round(v[0]) + "–" + round(v[len(v)-1])
}

func sorted(ps []phased, f func(phased) time.Duration) []time.Duration {
	var v []time.Duration
	for _, p := range ps {
		v = append(v, f(p))
	}
	slices.Sort(v)
	return v
}

func round(d time.Duration) string { return d.Round(100 * time.Millisecond).String() }

// runPhased runs args after a sync, notes when each stderr line that
// starts with marker+<phase> arrives, and samples the process's own peak
// RSS (VmHWM). A phase lasts from its line to the next phase's line;
// "prepare" from the start to "configure", the last one to the exit.
func runPhased(t *testing.T, env, args []string, marker string) (phased, int64) {
	t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = env
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	var (
		mu     sync.Mutex
		marks  = map[string]time.Time{}
		errOut strings.Builder
	)
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			now := time.Now()
			line := sc.Text()
			mu.Lock()
			errOut.WriteString(line + "\n")
			if i := strings.Index(line, marker); i >= 0 {
				name, _, _ := strings.Cut(line[i+len(marker):], " ")
				if name == "checks" { // pyfetch's last phase
					name = "finish"
				}
				if _, seen := marks[name]; !seen {
					marks[name] = now
				}
			}
			mu.Unlock()
		}
	}()
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
	end := time.Now()
	close(done)
	pw.Close()
	<-scanned
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, errOut.String())
	}
	p := phased{total: end.Sub(start), phases: map[string]time.Duration{}}
	prev, prevName := start, "prepare"
	for _, name := range buildPhases[1:] {
		at, ok := marks[name]
		if !ok {
			t.Fatalf("%v: no %q line on stderr:\n%s", args, marker+name, errOut.String())
		}
		p.phases[prevName] = at.Sub(prev)
		prev, prevName = at, name
	}
	p.phases[prevName] = end.Sub(prev)
	return p, <-peak
}
