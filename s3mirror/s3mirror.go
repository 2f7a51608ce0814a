// Package s3mirror makes an S3-compatible bucket (S3, R2, GCS's S3
// interface, Ceph, MinIO, versitygw) a mirror in python.org's layout:
// listings through ListObjectsV2 (a resolve.Lister, paged, capped) and
// downloads through presigned GETs (an http.RoundTripper for s3:// URLs,
// so ranges, retries, the low-speed limit and hashing in flight are
// fetch's, exactly as over HTTP). Requests are signed by minio-go from
// the standard AWS configuration; nothing is trusted for being in the
// bucket: every artifact is verified as from any mirror.
package s3mirror

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"

	"github.com/pyfetch/pyfetch/internal/textsafe"
	"github.com/pyfetch/pyfetch/releases"
)

// ErrS3 marks a failure talking to the bucket; the faults a user acts on
// have their own sentinels (and exit codes in the CLI).
var ErrS3 = errors.New("s3")

var (
	// ErrDenied: credentials missing or wrong, or no permission (403).
	ErrDenied = fmt.Errorf("%w: access denied", ErrS3)
	// ErrNoBucket: the bucket does not exist.
	ErrNoBucket = fmt.Errorf("%w: no such bucket", ErrS3)
	// ErrRegion: the bucket is in another region than AWS_REGION says.
	ErrRegion = fmt.Errorf("%w: wrong region", ErrS3)
	// ErrBucketName: s3://BUCKET/ names no bucket S3 can have.
	ErrBucketName = fmt.Errorf("%w: not a bucket name", ErrS3)
)

// CheckBucket says, before any request, whether an s3:// mirror's bucket
// name is one S3 can have (3 to 63 characters of letters, digits, dots
// and hyphens, as minio-go checks it), so that a typo is a usage error
// rather than a request that fails.
func CheckBucket(m releases.Mirror) error {
	bucket, _ := m.Bucket()
	if err := s3utils.CheckValidBucketName(bucket); err != nil {
		return fmt.Errorf("%w: s3://%s/: %v (expected 3 to 63 letters, digits, dots and hyphens)", ErrBucketName, textsafe.Escape(bucket), err)
	}
	return nil
}

// Config is how to reach the bucket, from the standard AWS variables.
type Config struct {
	// Endpoint is AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL, else AWS's.
	Endpoint string
	// Region is AWS_REGION, else AWS_DEFAULT_REGION.
	Region string
	// Static credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
	// AWS_SESSION_TOKEN); without them, the shared credentials file
	// (AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE) and then the instance's
	// role or a web identity token (AWS_WEB_IDENTITY_TOKEN_FILE, as CI
	// OIDC federation provides) are tried.
	AccessKey, SecretKey, SessionToken string
	CredentialsFile, Profile           string
}

// ConfigFromEnv reads Config from the environment getenv gives.
func ConfigFromEnv(getenv func(string) string) Config {
	c := Config{
		Endpoint: getenv("AWS_ENDPOINT_URL_S3"), Region: getenv("AWS_REGION"),
		AccessKey: getenv("AWS_ACCESS_KEY_ID"), SecretKey: getenv("AWS_SECRET_ACCESS_KEY"), SessionToken: getenv("AWS_SESSION_TOKEN"),
		CredentialsFile: getenv("AWS_SHARED_CREDENTIALS_FILE"), Profile: getenv("AWS_PROFILE"),
	}
	if c.Endpoint == "" {
		c.Endpoint = getenv("AWS_ENDPOINT_URL")
	}
	if c.Region == "" {
		c.Region = getenv("AWS_DEFAULT_REGION")
	}
	return c
}

// NewClient makes the S3 client for c: path-style addressing for a named
// endpoint (S3-compatible servers), virtual-hosted for AWS itself.
func NewClient(c Config, base http.RoundTripper) (*minio.Client, error) {
	endpoint, secure, pathStyle := "s3.amazonaws.com", true, false
	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("%w: AWS_ENDPOINT_URL %q: expected http(s)://host[:port]", ErrS3, textsafe.Short(c.Endpoint, 80))
		}
		endpoint, secure, pathStyle = u.Host, u.Scheme == "https", true
	}
	var creds *credentials.Credentials
	if c.AccessKey != "" {
		creds = credentials.NewStaticV4(c.AccessKey, c.SecretKey, c.SessionToken)
	} else {
		creds = credentials.NewChainCredentials([]credentials.Provider{
			&credentials.FileAWSCredentials{Filename: c.CredentialsFile, Profile: c.Profile},
			&credentials.IAM{},
		})
	}
	lookup := minio.BucketLookupAuto
	if pathStyle {
		lookup = minio.BucketLookupPath
	}
	return minio.New(endpoint, &minio.Options{Creds: creds, Secure: secure, Region: c.Region, BucketLookup: lookup, Transport: base})
}

// Lister lists a bucket's folders (a resolve.Lister).
type Lister struct {
	Client *minio.Client
	Mirror releases.Mirror // s3://BUCKET/PREFIX/
}

// List implements resolve.Lister: the names directly under PREFIX/rel/,
// folders with a trailing "/", through ListObjectsV2 with delimiter "/"
// (paged by continuation tokens), at most releases.MaxListingNames.
func (l Lister) List(ctx context.Context, rel string) ([]string, error) {
	bucket, prefix := l.Mirror.Bucket()
	if rel != "" {
		prefix += strings.Trim(rel, "/") + "/"
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var names []string
	for obj := range l.Client.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: false, UseV1: false}) {
		if obj.Err != nil {
			return nil, fmt.Errorf("list s3://%s/%s: %w", bucket, prefix, describe(obj.Err, bucket))
		}
		name := strings.TrimPrefix(obj.Key, prefix)
		if name == "" || strings.Contains(strings.TrimSuffix(name, "/"), "/") {
			continue
		}
		if len(names) == releases.MaxListingNames {
			return nil, fmt.Errorf("list s3://%s/%s: %w: more than %d entries", bucket, prefix, releases.ErrListingTooLarge, releases.MaxListingNames)
		}
		names = append(names, name)
	}
	return names, nil
}

// Transport serves s3:// URLs (s3://BUCKET/KEY) by presigning a GET for
// each request and sending it through Base, with the request's headers
// (Range for a resume); other URLs go to Base as they are.
type Transport struct {
	Client *minio.Client
	Base   http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (t Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	if req.URL.Scheme != "s3" {
		return base.RoundTrip(req)
	}
	if req.Method != http.MethodGet {
		return nil, fmt.Errorf("%w: only GET is sent to a bucket mirror", ErrS3)
	}
	key := strings.TrimPrefix(req.URL.Path, "/")
	u, err := t.Client.PresignedGetObject(req.Context(), req.URL.Host, key, 15*time.Minute, nil)
	if err != nil {
		return nil, fmt.Errorf("presign s3://%s/%s: %w", req.URL.Host, key, describe(err, req.URL.Host))
	}
	out := req.Clone(req.Context())
	out.URL, out.Host = u, u.Host
	return base.RoundTrip(out)
}

// describe turns an S3 error into one line with its code, never a
// credential.
func describe(err error, bucket string) error {
	var er minio.ErrorResponse
	if errors.As(err, &er) {
		switch er.Code {
		case "NoSuchBucket":
			return fmt.Errorf("%w: the bucket %s does not exist", ErrNoBucket, textsafe.Escape(bucket))
		case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AllAccessDisabled":
			return fmt.Errorf("%w: %s (the credentials are missing or wrong for this bucket)", ErrDenied, textsafe.Escape(er.Code))
		case "AuthorizationHeaderMalformed", "PermanentRedirect", "IllegalLocationConstraintException":
			return fmt.Errorf("%w: %s (set AWS_REGION to the bucket's region)", ErrRegion, textsafe.Escape(er.Code))
		}
		return fmt.Errorf("%w: %s: %s", ErrS3, textsafe.Escape(er.Code), textsafe.Short(er.Message, 120))
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		// Kept as such: an interrupted push is exit 130, not a bucket fault.
		return fmt.Errorf("%w: %w", ErrS3, err)
	}
	return fmt.Errorf("%w: %s", ErrS3, textsafe.Short(err.Error(), 200))
}
