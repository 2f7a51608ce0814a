package main

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/pyfetch/pyfetch/internal/pyfetchtest"
	"github.com/pyfetch/pyfetch/s3mirror"
)

// versitygw is pyfetchtest.Versitygw.
func versitygw(t *testing.T, access, secret string, extra ...string) string {
	t.Helper()
	return pyfetchtest.Versitygw(t, access, secret, extra...)
}

// versitygwIAM is versitygw with its internal IAM (users besides the
// root), and a function running its admin commands as the root.
func versitygwIAM(t *testing.T) (string, func(args ...string)) {
	t.Helper()
	endpoint := versitygw(t, "fleet-admin", "fleet-secret-value", "--iam-dir", t.TempDir())
	bin := pyfetchtest.VersitygwBinary(t)
	return endpoint, func(args ...string) {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"admin", "--access", "fleet-admin", "--secret", "fleet-secret-value", "--endpoint-url", endpoint}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("versitygw admin %v: %v\n%s", args, err, out)
		}
	}
}

// setReadPolicy lets user list the bucket and read its objects.
func setReadPolicy(t *testing.T, endpoint, bucket, user string) {
	t.Helper()
	c, err := s3mirror.NewClient(s3mirror.Config{Endpoint: endpoint, Region: "us-east-1", AccessKey: "fleet-admin", SecretKey: "fleet-secret-value"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	policy := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["%s"]},"Action":["s3:ListBucket","s3:GetObject"],"Resource":["arn:aws:s3:::%s","arn:aws:s3:::%s/*"]}]}`, user, bucket, bucket)
	if err := c.SetBucketPolicy(context.Background(), bucket, policy); err != nil {
		t.Fatal(err)
	}
}

// End to end against a server that checks every signature: a builder
// pushes its verified cache to the bucket, a runner with another home
// installs from it, a runner with the wrong secret gets a clear error and
// nothing installed, and a runner primes its cache from the bucket, then
// installs offline.
func TestBucketEndToEndWithStrictSigV4(t *testing.T) {
	t.Parallel()
	endpoint := versitygw(t, "fleet-admin", "fleet-secret-value")
	aws := func(e *env, secret string) {
		e.vars["AWS_ENDPOINT_URL"] = endpoint
		e.vars["AWS_ACCESS_KEY_ID"] = "fleet-admin"
		e.vars["AWS_SECRET_ACCESS_KEY"] = secret
		e.vars["AWS_REGION"] = "us-east-1"
	}
	builder := releaseMirror(t)
	aws(builder, "fleet-secret-value")
	if code, _, stderr := builder.run("fetch", "3.13"); code != 0 {
		t.Fatal(stderr)
	}
	if code, stdout, stderr := builder.run("mirror", "push", "s3://fleet/python/", "3.13"); code != 0 || !strings.Contains(stdout, "uploaded s3://fleet/python/3.13.10/Python-3.13.10.tar.xz") {
		t.Fatalf("push: exit %d %q %q", code, stdout, stderr)
	}
	runner := func(secret string) *env {
		e := newEnv(t)
		e.vars["PYFETCH_TRUSTED_ROOT"] = builder.vars["PYFETCH_TRUSTED_ROOT"]
		e.vars["PYFETCH_MIRROR"] = "s3://fleet/python/"
		aws(e, secret)
		return e
	}
	good := runner("fleet-secret-value")
	if code, stdout, stderr := good.run("install", "3.13"); code != 0 || !strings.Contains(stdout, "installed 3.13.10") {
		t.Errorf("runner: exit %d %q %q", code, stdout, stderr)
	}
	bad := runner("wrong-secret")
	code, _, stderr := bad.run("install", "3.13")
	if code != exitDenied || !strings.Contains(stderr, "credentials are missing or wrong") || strings.Contains(stderr, "wrong-secret") {
		t.Errorf("wrong secret: exit %d %q", code, stderr)
	}
	if len(bad.versions()) != 0 {
		t.Errorf("wrong secret installed %v", bad.versions())
	}
	prime := runner("fleet-secret-value")
	if code, _, stderr := prime.run("fetch", "3.13"); code != 0 {
		t.Fatal(stderr)
	}
	delete(prime.vars, "AWS_ENDPOINT_URL")
	if code, stdout, stderr := prime.run("install", "--offline", "3.13"); code != 0 || !strings.Contains(stdout, "installed 3.13.10") {
		t.Errorf("offline after priming from the bucket: exit %d %q %q", code, stdout, stderr)
	}
}

// The fleet recipe (docs/commands.md): the connected side pushes with
// write credentials; runners hold read-only ones, which install from the
// bucket and cannot push.
func TestFleetRecipeReadOnlyRunners(t *testing.T) {
	t.Parallel()
	endpoint, admin := versitygwIAM(t)
	admin("create-user", "--access", "runner", "--secret", "runner-secret", "--role", "user")
	builder := releaseMirror(t)
	builder.vars["AWS_ENDPOINT_URL"], builder.vars["AWS_REGION"] = endpoint, "us-east-1"
	builder.vars["AWS_ACCESS_KEY_ID"], builder.vars["AWS_SECRET_ACCESS_KEY"] = "fleet-admin", "fleet-secret-value"
	if code, _, stderr := builder.run("fetch", "3.13"); code != 0 {
		t.Fatal(stderr)
	}
	if code, stdout, stderr := builder.run("mirror", "push", "s3://fleet/python/", "3.13"); code != 0 {
		t.Fatalf("push: exit %d %q %q", code, stdout, stderr)
	}
	setReadPolicy(t, endpoint, "fleet", "runner")
	runner := newEnv(t)
	runner.vars["PYFETCH_TRUSTED_ROOT"] = builder.vars["PYFETCH_TRUSTED_ROOT"]
	runner.vars["AWS_ENDPOINT_URL"], runner.vars["AWS_REGION"] = endpoint, "us-east-1"
	runner.vars["AWS_ACCESS_KEY_ID"], runner.vars["AWS_SECRET_ACCESS_KEY"] = "runner", "runner-secret"
	runner.vars["PYFETCH_MIRROR"] = "s3://fleet/python/"
	if code, stdout, stderr := runner.run("install", "3.13"); code != 0 || !strings.Contains(stdout, "installed 3.13.10") {
		t.Fatalf("read-only runner: exit %d %q %q", code, stdout, stderr)
	}
	// What is there already is skipped; anything new is refused.
	if code, stdout, stderr := runner.run("mirror", "push", "s3://fleet/python/", "3.13"); code != 0 || strings.Contains(stdout, "uploaded") {
		t.Errorf("a read-only runner's push of what is there: exit %d %q %q", code, stdout, stderr)
	}
	if code, _, stderr := runner.run("mirror", "push", "s3://fleet/elsewhere/", "3.13"); code != exitDenied || !strings.Contains(stderr, "AccessDenied") {
		t.Errorf("a read-only runner pushed: exit %d %q", code, stderr)
	}
}
