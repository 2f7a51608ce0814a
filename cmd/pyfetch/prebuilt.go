package main

import (
	"context"
	"crypto/ecdsa"

	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pyfetch/pyfetch/fetch"
	"github.com/pyfetch/pyfetch/install"
	"github.com/pyfetch/pyfetch/internal/safefile"
	"github.com/pyfetch/pyfetch/internal/scratch"
	"github.com/pyfetch/pyfetch/internal/textsafe"
	"github.com/pyfetch/pyfetch/prebuilt"
	"github.com/pyfetch/pyfetch/provenance"
	"github.com/pyfetch/pyfetch/releases"
	"github.com/pyfetch/pyfetch/s3mirror"
	"github.com/pyfetch/pyfetch/store"
	"github.com/pyfetch/pyfetch/verify"
)

// prebuiltFlags are install's --prebuilt options: the fleet's policy.
type prebuiltFlags struct {
	on                    bool
	key, identity, issuer string
	fs                    *flag.FlagSet // to tell typed flags from the environment
}

func (a *app) prebuiltFlagSet(fs *flag.FlagSet, pf *prebuiltFlags) {
	fs.BoolVar(&pf.on, "prebuilt", a.envBool("PYFETCH_PREBUILT"), "install the fleet's prebuilt interpreter from the mirror, checked against --prebuilt-key or --prebuilt-identity (env PYFETCH_PREBUILT=1); with --build, build when there is none")
	a.prebuiltPolicyFlagSet(fs, pf)
}

// prebuiltPolicyFlagSet registers only the policy a prebuilt is checked
// against (upgrade: whether a line is prebuilt is its receipt's to say).
func (a *app) prebuiltPolicyFlagSet(fs *flag.FlagSet, pf *prebuiltFlags) {
	pf.fs = fs
	fs.StringVar(&pf.key, "prebuilt-key", a.env("PYFETCH_PREBUILT_KEY", ""), "the fleet's public key (PEM) that must have signed a prebuilt (env PYFETCH_PREBUILT_KEY)")
	fs.StringVar(&pf.identity, "prebuilt-identity", a.env("PYFETCH_PREBUILT_IDENTITY", ""), "the certificate identity that must have signed a prebuilt, e.g. a workflow URI (env PYFETCH_PREBUILT_IDENTITY)")
	fs.StringVar(&pf.issuer, "prebuilt-issuer", a.env("PYFETCH_PREBUILT_ISSUER", ""), "the OIDC issuer of --prebuilt-identity (env PYFETCH_PREBUILT_ISSUER)")
}

// typedWithoutPrebuilt: a typed policy without --prebuilt is a forgotten
// --prebuilt, not a wish for a source install; a job-wide
// PYFETCH_PREBUILT_KEY is not a mistake.
func (pf *prebuiltFlags) typedWithoutPrebuilt() error {
	return typedWithout(pf.fs, "--prebuilt", " (add --prebuilt to install the fleet's prebuilt)", "prebuilt-key", "prebuilt-identity", "prebuilt-issuer")
}

// prebuiltOptions turns the flags into install's PrebuiltOptions (nil
// without --prebuilt). No policy, no prebuilt: a prebuilt is never
// installed on the mirror's word.
func (a *app) prebuiltOptions(pf *prebuiltFlags, bf *buildFlags) (*install.PrebuiltOptions, error) {
	if !pf.on {
		return nil, nil // a typed policy without --prebuilt: install's preflight
	}
	o := &install.PrebuiltOptions{Build: provenance.Options{
		ConfigureArgs: strings.Fields(bf.configureOpts), Optimize: bf.optimize, FreeThreaded: bf.freethreaded,
	}}
	switch {
	case pf.key != "" && (pf.identity != "" || pf.issuer != ""):
		return nil, fmt.Errorf("%w: --prebuilt-key or --prebuilt-identity/--prebuilt-issuer, not both", errUsage)
	case pf.key != "":
		pub, err := provenance.LoadPublicKey(pf.key)
		if err != nil {
			return nil, fmt.Errorf("%w: --prebuilt-key (or PYFETCH_PREBUILT_KEY): %w", errUsage, err)
		}
		kv, err := verify.NewKeyVerifier(pub)
		if err != nil {
			return nil, err
		}
		o.Policy.Key = kv
	case pf.identity != "" && pf.issuer != "":
		o.Policy.Identity = verify.Identity{SAN: pf.identity, Issuer: pf.issuer}
	case pf.identity != "" || pf.issuer != "":
		return nil, fmt.Errorf("%w: --prebuilt-identity and --prebuilt-issuer go together (got identity %q, issuer %q)", errUsage, pf.identity, pf.issuer)
	default:
		return nil, fmt.Errorf("%w: --prebuilt needs the fleet's policy: --prebuilt-key FILE, or --prebuilt-identity ID with --prebuilt-issuer URL (a prebuilt is never installed on the mirror's word)", errUsage)
	}
	return o, nil
}

// keygen writes a fleet signing key pair.
func (a *app) keygen(args []string) error {
	var c outputOpts
	fs := a.flagSet("keygen", &c)
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%w: keygen takes one NAME and writes NAME.key and NAME.pub, e.g. pyfetch keygen fleet", errUsage)
	}
	// "keygen fleet.key" means the pair fleet.key and fleet.pub.
	name := strings.TrimSuffix(strings.TrimSuffix(pos[0], ".key"), ".pub")
	if base := filepath.Base(name); name == "" || strings.HasSuffix(name, string(filepath.Separator)) || base == "." || base == ".." {
		return fmt.Errorf("%w: keygen takes a NAME for NAME.key and NAME.pub, got %q", errUsage, pos[0])
	}
	fp, err := provenance.Keygen(name)
	if err != nil {
		return fmt.Errorf("keygen: %w", err)
	}
	if c.jsonOut {
		return a.printJSON(map[string]string{"private_key": name + ".key", "public_key": name + ".pub", "fingerprint": fp})
	}
	fmt.Fprintf(a.stdout, "wrote %s.key (keep it secret: it signs what every runner installs) and %s.pub (%s)\n", textsafe.Escape(name), textsafe.Escape(name), fp)
	return nil
}

// publishOptions are publish's flags.
type publishOptions struct {
	outputOpts
	homeOpts
	trustOpts
	signerOpts
	offlineOpts
	mirrorOpts
	signKey string
}

func (o *publishOptions) register(a *app, fs *flag.FlagSet) {
	fs.StringVar(&o.signKey, "sign-key", a.env("PYFETCH_SIGN_KEY", ""), "the fleet's ECDSA P-256 private key (PEM) to sign the statements with; without it, the statements are written for signing elsewhere (env PYFETCH_SIGN_KEY)")
}

// publish packs installed builds and publishes them, with their signed
// provenance, into a mirror folder or bucket.
func (a *app) publish(ctx context.Context, args []string) error {
	var c publishOptions
	fs := a.flagSet("publish", &c.outputOpts, &c.homeOpts, cacheOpts{&c.homeOpts}, &c.trustOpts, &c.signerOpts, &c.offlineOpts, &c.mirrorOpts, &c)
	pos, err := a.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return fmt.Errorf("%w: publish needs a mirror and versions, e.g. pyfetch publish --sign-key fleet.key /srv/mirror 3.13.5 (or s3://BUCKET/PREFIX/)", errUsage)
	}
	var key *ecdsa.PrivateKey
	if c.signKey != "" {
		k, err := provenance.LoadPrivateKey(c.signKey)
		if err != nil {
			return fmt.Errorf("%w: --sign-key (or PYFETCH_SIGN_KEY): %w", errUsage, err)
		}
		key = k
	}
	// DEST as --mirror takes it: a folder (absolute or relative) or a bucket.
	dm := mirrorOpts{mirror: pos[0]}
	dest, err := dm.parsed(a.wd)
	if _, folder := dest.Folder(); err != nil || !(dest.IsS3() || folder) {
		return fmt.Errorf("%w: publish writes to a folder or s3://BUCKET/PREFIX/, got %q", errUsage, textsafe.Escape(releases.RedactURL(pos[0])))
	}
	if dest.IsS3() {
		if err := s3mirror.CheckBucket(dest); err != nil {
			return err
		}
	}
	specs, err := parseSpecs(pos[1:])
	if err != nil {
		return err
	}
	// The build's source comes from the cache; when the cache lost it,
	// from the mirror builds install from (--mirror, PYFETCH_MIRROR).
	src, err := c.mirrorOpts.parsed(a.wd)
	if err != nil {
		return err
	}
	fc := &fetch.Client{}
	s, err := a.session(c.homeOpts, c.offlineOpts, &c.trustOpts, &c.signerOpts, fc)
	if err != nil {
		return err
	}
	if err := a.useMirror(s, src, fc); err != nil {
		return err
	}
	out, _ := dest.Folder()
	if dest.IsS3() {
		if out, err = scratch.Dir("pyfetch-publish-"); err != nil {
			return err
		}
		defer os.RemoveAll(out)
	}
	st := s.Store(ctx)
	plat := prebuilt.HostPlatform(ctx)
	_, tr, _, err := s.Verifier(ctx)
	if err != nil {
		return err
	}
	rootJSON, err := tr.MarshalJSON()
	if err != nil {
		return err
	}
	var pubs []*prebuilt.Publication
	for _, sp := range specs {
		in, err := install.Find(s.Home, sp)
		if err != nil {
			return fmt.Errorf("publish %s: %w", sp.Raw, err)
		}
		pub, err := a.publishOne(ctx, &st, in, plat, key, out, rootJSON)
		if err != nil {
			return fmt.Errorf("publish %s: %w", in.Version, err)
		}
		pubs = append(pubs, pub)
		if !c.jsonOut {
			signed := "signed with " + c.signKey
			if pub.Bundle == "" {
				signed = "unsigned: sign " + filepath.Base(pub.Statement) + " into " + filepath.Base(pub.Archive) + prebuilt.BundleSuffix + " (see docs/prebuilt.md)"
			}
			fmt.Fprintf(a.stdout, "published %s: %s (%d bytes, sha256 %s, %s)\n", in.Version, pub.Archive, pub.Size, pub.SHA256, signed)
		}
	}
	if dest.IsS3() {
		client, err := s3mirror.NewClient(s3mirror.ConfigFromEnv(a.getenv), nil)
		if err != nil {
			return err
		}
		pushed, err := s3mirror.Push(ctx, client, dest, out)
		if err != nil {
			return err
		}
		if !c.jsonOut {
			bucket, _ := dest.Bucket()
			for _, p := range pushed {
				fmt.Fprintf(a.stdout, "uploaded s3://%s/%s\n", bucket, p.Key)
			}
		}
	}
	if c.jsonOut {
		return a.printJSON(map[string]any{"mirror": dest.String(), "published": pubs})
	}
	return nil
}

// publishOne publishes one installed build: its source is obtained and
// verified again through the store (never taken from the receipt's word),
// and its bundle is what runners re-verify.
func (a *app) publishOne(ctx context.Context, st *store.Store, in install.Installed, plat provenance.Platform, key *ecdsa.PrivateKey, out string, rootJSON []byte) (*prebuilt.Publication, error) {
	rc := in.Receipt
	if rc == nil {
		return nil, fmt.Errorf("%w: %s", prebuilt.ErrNotPublishable, in.Problem)
	}
	if err := prebuilt.CheckPublishable(rc.Kind); err != nil {
		return nil, err
	}
	if rc.Build.Options == nil || len(rc.Build.ConfigureArgs) == 0 || !strings.HasPrefix(rc.Build.ConfigureArgs[0], "--prefix=") {
		return nil, fmt.Errorf("%w: the receipt does not say how it was built (an older pyfetch?); build it again with install --build --force", prebuilt.ErrNotPublishable)
	}
	if len(rc.Build.Missing) > 0 {
		a.warn(fmt.Sprintf("note: %s lacks the optional modules %s; the statement says so", in.Version, strings.Join(rc.Build.Missing, ", ")))
	}
	art, ok := releases.ParseArtifactName(rc.Artifact)
	if !ok {
		return nil, fmt.Errorf("%w: the receipt names the source %q", prebuilt.ErrNotPublishable, rc.Artifact)
	}
	want, err := store.Expectation(art.Version, art.Name(), st.Identity, st.Signers)
	if err != nil {
		return nil, err
	}
	got, err := st.Obtain(ctx, art, want)
	if err != nil {
		return nil, fmt.Errorf("the source no longer verifies: %w", err)
	}
	got.File.Close()
	if got.Result.SHA256 != rc.SHA256 || got.Result.Method != verify.SchemeSigstore {
		return nil, fmt.Errorf("%w: the build's source (sha256 %s) is not the Sigstore-signed %s (sha256 %s, %s)", prebuilt.ErrNotPublishable, rc.SHA256, art.Name(), got.Result.SHA256, got.Result.Method)
	}
	bundle, err := safefile.ReadRegular(filepath.Join(st.Home.CacheDir(art.Dir()), art.BundleName()), verify.MaxBundleBytes)
	if err != nil {
		return nil, err
	}
	b := provenance.Build{
		Version:  art.Version.String(),
		Platform: plat,
		Options:  *rc.Build.Options,
		Source: provenance.Source{
			Name: art.Name(), URL: art.URL(releases.MustMirror(releases.DefaultMirror)), SHA256: got.Result.SHA256,
			Signer: got.Result.Identity.SAN, Issuer: got.Result.Identity.Issuer, LogIndex: got.Result.LogIndex,
		},
		Prefix:        strings.TrimPrefix(rc.Build.ConfigureArgs[0], "--prefix="),
		Compiler:      rc.Build.Compiler,
		ConfigureArgs: rc.Build.ConfigureArgs,
		Missing:       rc.Build.Missing,
		Pyfetch:       version,
		FinishedOn:    rc.InstalledAt,
	}
	if b.FinishedOn.IsZero() {
		b.FinishedOn = time.Now()
	}
	// python.org's signed source beside it, as mirror export writes it:
	// runners resolve 3.13 from the mirror's listing, and install --build
	// falls back to it.
	if _, err := st.Export(ctx, out, []releases.Version{art.Version}, rootJSON); err != nil {
		return nil, fmt.Errorf("the source: %w", err)
	}
	return prebuilt.Publish(ctx, prebuilt.PublishOptions{
		Dir: in.Path, Name: in.Version, Release: art.Dir(), Build: b, SourceBundle: bundle, Key: key, Out: out,
		Skip: []string{install.ReceiptName},
	})
}
