//go:build bench

package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/pyfetch/pyfetch/internal/pyfetchtest"
	"github.com/pyfetch/pyfetch/s3mirror"
)

// TestBenchBucket: a cold pyfetch install of the genuine 3.13.5 tar.xz
// from an S3 bucket (versitygw on loopback, strict SigV4) against
// `curl | tar` of a presigned URL of the same object, and against that
// followed by sync -f (as durable as pyfetch's install), in rotating
// order, each way removing only its own previous output before the sync
// that precedes each run; median and spread of PYFETCH_BENCH_REPS runs.
// Then the same into tmpfs (home and tar's output), where the disk's
// minute-to-minute swings and the durability pyfetch pays (syncfs before
// the rename; curl | tar syncs nothing) are out of both.
func TestBenchBucket(t *testing.T) {
	for _, tool := range []string{"curl", "tar", "xz"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is needed for the baseline", tool)
		}
	}
	reps, _ := strconv.Atoi(os.Getenv("PYFETCH_BENCH_REPS"))
	if reps <= 0 {
		reps = 5
	}
	real := pyfetchtest.RealDir(t)
	data, err := os.ReadFile(filepath.Join(real, "artifacts", "Python-"+version+".tar.xz"))
	if err != nil {
		t.Fatal(err)
	}
	endpoint := pyfetchtest.Versitygw(t, "bench", "bench-secret")
	cfg := s3mirror.Config{Endpoint: endpoint, Region: "us-east-1", AccessKey: "bench", SecretKey: "bench-secret"}
	c, err := s3mirror.NewClient(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	ss := pyfetchtest.NewSigstore(t)
	key := "python/" + version + "/Python-" + version + ".tar.xz"
	ctx := context.Background()
	for k, v := range map[string][]byte{key: data, key + ".sigstore": ss.Sign(t, "thomas@python.org", "https://accounts.google.com", data)} {
		if _, err := c.PutObject(ctx, "fleet", k, bytes.NewReader(v), int64(len(v)), minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	u, err := c.PresignedGetObject(ctx, "fleet", key, time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	bin := build(t)
	work := t.TempDir()
	bucketEnv := func(home string) []string {
		return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + work, "PYFETCH_HOME=" + home, "PYFETCH_TRUSTED_ROOT=" + ss.RootFile,
			"PYFETCH_MIRROR=s3://fleet/python/", "PYFETCH_FORMAT=tar.xz", "AWS_ENDPOINT_URL=" + endpoint, "AWS_REGION=us-east-1",
			"AWS_ACCESS_KEY_ID=bench", "AWS_SECRET_ACCESS_KEY=bench-secret"}
	}
	// Each way removes only its own previous output, right before the
	// sync that precedes it; the order rotates. curl | tar then sync -f
	// is tar's output made as durable as pyfetch makes its install.
	var pyfetch, curl, curlSync []sample
	fresh := func(dir string) string { os.RemoveAll(dir); os.MkdirAll(dir, 0o755); return dir }
	get := "curl -fsS '" + u.String() + "' | tar xJf - -C "
	install := func(home string, into *[]sample) func() {
		return func() {
			os.RemoveAll(home)
			*into = append(*into, measure(t, bucketEnv(home), bin, "install", "--quiet", version))
		}
	}
	rotate := func(ways ...func()) {
		for i := range reps {
			for k := range ways {
				ways[(k+i)%len(ways)]()
			}
		}
	}
	rotate(
		install(filepath.Join(work, "home"), &pyfetch),
		func() { curl = append(curl, measure(t, nil, "sh", "-c", get+fresh(filepath.Join(work, "curl")))) },
		func() {
			out := fresh(filepath.Join(work, "curlsync"))
			curlSync = append(curlSync, measure(t, nil, "sh", "-c", get+out+" && sync -f "+out))
		})
	// Into tmpfs, where the disk's swings (and the durability pyfetch
	// pays and curl | tar does not) are out: pyfetch's own overhead.
	var shmPyfetch, shmCurl []sample
	if shm := tmpfsDir(t); shm != "" {
		rotate(
			install(filepath.Join(shm, "home"), &shmPyfetch),
			func() { shmCurl = append(shmCurl, measure(t, nil, "sh", "-c", get+fresh(filepath.Join(shm, "curl")))) })
		os.RemoveAll(filepath.Join(shm, "home"))
		os.RemoveAll(filepath.Join(shm, "curl"))
	}
	home := filepath.Join(work, "rss")
	rss := peakRSS(t, bucketEnv(home), bin, "install", "--quiet", version)
	os.RemoveAll(home)
	ratio := float64(median(pyfetch).wall) / float64(median(curl).wall)
	verdict := func(r float64) string { return map[bool]string{true: "met", false: "MISSED"}[r <= 1.10] }
	var b strings.Builder
	fmt.Fprintf(&b, "%s/%s, %d CPUs, %s, %d repetitions, rotating order, sync before each\n\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), cpuModel(), reps)
	b.WriteString("| from a bucket (versitygw, loopback) | median | spread | ratio |\n|---|---|---|---|\n")
	rows := [][]string{
		row("", "pyfetch install, cold (GET bundle, GET artifact hashed in flight, verify, unpack, syncfs)", pyfetch, fmt.Sprintf("%.2f× of curl \\| tar (within 10%%: %s)", ratio, verdict(ratio))),
		row("", "curl \\| tar xJ of a presigned URL (unverified)", curl, ""),
		row("", "curl \\| tar xJ, then sync -f (as durable as pyfetch's install)", curlSync, fmt.Sprintf("pyfetch: %.2f× of this", float64(median(pyfetch).wall)/float64(median(curlSync).wall))),
	}
	if len(shmPyfetch) > 0 {
		r := float64(median(shmPyfetch).wall) / float64(median(shmCurl).wall)
		rows = append(rows,
			row("", "tmpfs: pyfetch install, cold", shmPyfetch, fmt.Sprintf("%.2f× of curl \\| tar into tmpfs (within 10%%: %s)", r, verdict(r))),
			row("", "tmpfs: curl \\| tar xJ of the presigned URL", shmCurl, ""))
	}
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", r[1], r[2], r[3], r[4])
	}
	fmt.Fprintf(&b, "\npeak RSS of a cold install from the bucket: %.1f MB (< 64 MB: %s)\n", float64(rss)/1024, map[bool]string{true: "met", false: "MISSED"}[rss > 0 && rss < 64<<10])
	t.Logf("\n%s", b.String())
	fmt.Print(b.String())
}
