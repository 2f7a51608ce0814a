// Package resolve turns what a user asks for ("3.13", "latest") into
// exact versions from a mirror's listings (through a Lister), cached in
// the cache's index.json; listings are untrusted and choose only what
// is then fetched and verified.
package resolve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pyfetch/pyfetch/fetch"
	"github.com/pyfetch/pyfetch/home"
	"github.com/pyfetch/pyfetch/internal/atomicfile"
	"github.com/pyfetch/pyfetch/internal/parallel"
	"github.com/pyfetch/pyfetch/internal/safefile"
	"github.com/pyfetch/pyfetch/releases"
)

// Bounds on what a mirror's listings may cost one run: each listing is
// capped in bytes and names (releases.MaxListingBytes, MaxListingNames);
// these cap how many one resolution reads and how many names in all.
const (
	maxResolveListings  = 64
	maxReleasesListings = 1000
	maxNamesPerRun      = 100_000
)

// maxIndexBytes caps index.json: each listing in it is capped too.
const maxIndexBytes = 16 << 20

// DefaultIndexTTL is how long a mirror's directory listings are reused.
const DefaultIndexTTL = 10 * time.Minute

// Resolver turns specs ("3.13", "latest") into versions by reading the
// mirror's directory listings, cached in the cache dir's index.json. The
// listings are untrusted: they only choose which version to fetch, and
// that version is verified like any other.
type Resolver struct {
	Home   home.Home
	Mirror releases.Mirror
	// Lister reads the mirror's folders; nil picks one for Mirror (a
	// local folder, or HTML listings over Fetch).
	Lister  Lister
	Fetch   *fetch.Client
	TTL     time.Duration // DefaultIndexTTL when zero
	Offline bool
	Now     func() time.Time
	Notify  func(string)
	// Installed, when set, answers a spec from what is installed when
	// the mirror cannot be reached (exit 0, newer releases unchecked).
	Installed func(releases.Spec) (releases.InstallName, bool)

	mu    sync.Mutex
	index *indexFile
	dirty bool
	names int // names read from the mirror's listings this run
	// fromCache: offline with no cached listing of the mirror's root,
	// the download cache was listed instead.
	fromCache bool
}

// indexFile is index.json: per mirror, per folder ("" is the root), the
// names the listing showed and when.
type indexFile struct {
	Mirrors map[string]map[string]listing `json:"mirrors"`
}

type listing struct {
	FetchedAt time.Time `json:"fetched_at"`
	Names     []string  `json:"names"`
}

func (r *Resolver) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Resolver) indexPath() string { return filepath.Join(r.Home.CacheRoot(), "index.json") }

func (r *Resolver) load() *indexFile {
	if r.index != nil {
		return r.index
	}
	r.index = &indexFile{Mirrors: map[string]map[string]listing{}}
	// The index only chooses which version to fetch, never what to trust,
	// but it decides what "newest" means until it goes stale: only your
	// own file is read (another user's could pin an old release), and a
	// FIFO planted there must not hang pyfetch.
	if data, err := safefile.ReadFile(r.indexPath(), maxIndexBytes); err == nil {
		var f indexFile
		if json.Unmarshal(data, &f) == nil && f.Mirrors != nil {
			r.index = &f
		}
	}
	return r.index
}

// Save writes the index back if it changed.
func (r *Resolver) Save() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.dirty {
		return nil
	}
	data, err := json.Marshal(r.index)
	if err != nil {
		return err
	}
	r.dirty = false
	return atomicfile.WriteFile(r.indexPath(), data, 0o644)
}

// Lister reads one folder of a mirror ("" is the root): the names in it,
// folders with a trailing "/". A new kind of mirror (an object store's
// listing API) is a new Lister; what it returns is untrusted.
type Lister interface {
	List(ctx context.Context, rel string) ([]string, error)
}

// HTMLLister reads a web server's directory listing pages (nginx
// autoindex, Apache, S3 website index pages), each capped.
type HTMLLister struct {
	Mirror releases.Mirror
	Fetch  *fetch.Client
}

// List implements Lister.
func (l HTMLLister) List(ctx context.Context, rel string) ([]string, error) {
	u := l.Mirror.Dir(rel)
	fc := l.Fetch
	if fc == nil {
		fc = &fetch.Client{}
	}
	body, err := fc.Get(ctx, u, releases.MaxListingBytes)
	if errors.Is(err, fetch.ErrNotFound) || err == nil && bytes.HasPrefix(bytes.TrimSpace(body), []byte("<?xml")) {
		// No HTML listing: perhaps a public bucket's REST endpoint, which
		// lists through ListObjectsV2 at the bucket's root.
		if names, ok := l.s3List(ctx, fc, rel); ok {
			return names, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", u, err)
	}
	names, err := releases.ParseListing(bytes.NewReader(body), u)
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", u, err)
	}
	return names, nil
}

// s3List reads folder rel of a public bucket over plain http(s): the
// ListObjectsV2 XML, page by page (at most maxS3Pages), trying the
// virtual-hosted and the path-style reading of the mirror URL; ok is
// false when neither answers with a listing.
func (l HTMLLister) s3List(ctx context.Context, fc *fetch.Client, rel string) ([]string, bool) {
	for _, c := range l.Mirror.S3Listings(rel) {
		var names []string
		token := ""
		for page := 0; ; page++ {
			u := c.URL
			if token != "" {
				u += "&continuation-token=" + url.QueryEscape(token)
			}
			body, err := fc.Get(ctx, u, releases.MaxListingBytes)
			if err != nil {
				break
			}
			p, err := releases.ParseS3Listing(bytes.NewReader(body), c.Prefix)
			if err != nil {
				break
			}
			names = append(names, p.Names...)
			if p.NextToken == "" {
				return names, true
			}
			if page+1 == maxS3Pages || len(names) > releases.MaxListingNames {
				break
			}
			token = p.NextToken
		}
	}
	return nil, false
}

// maxS3Pages caps the pages of one bucket listing (1 000 keys each).
const maxS3Pages = 20

// FolderLister lists a local folder shaped like a mirror (a file://
// mirror, the cache).
type FolderLister struct{ Root string }

// List implements Lister.
func (l FolderLister) List(_ context.Context, rel string) ([]string, error) {
	return ListFolder(filepath.Join(l.Root, filepath.FromSlash(rel)))
}

func (r *Resolver) lister() (Lister, bool) {
	if r.Lister != nil {
		return r.Lister, false
	}
	if dir, ok := r.Mirror.Folder(); ok {
		return FolderLister{Root: dir}, true
	}
	return HTMLLister{Mirror: r.Mirror, Fetch: r.Fetch}, false
}

// list returns the names in folder rel ("" for the root) of the mirror:
// a local folder directly; a remote mirror's from the index while fresh,
// else through its Lister, keeping only what pyfetch can use.
func (r *Resolver) list(ctx context.Context, rel string) ([]string, error) {
	ttl := r.TTL
	if ttl == 0 {
		ttl = DefaultIndexTTL
	}
	l, local := r.lister()
	if local {
		return l.List(ctx, rel)
	}
	key := r.Mirror.String()
	r.mu.Lock()
	idx := r.load()
	cached, ok := idx.Mirrors[key][rel]
	r.mu.Unlock()
	// A listing "fetched" in the future is stale, not fresh forever.
	age := r.now().Sub(cached.FetchedAt)
	if ok && (r.Offline || age >= 0 && age < ttl) {
		if r.Offline && rel == "" && r.Notify != nil {
			r.Notify(fmt.Sprintf("offline: using the release index cached %s ago", age.Round(time.Second)))
		}
		return cached.Names, nil
	}
	if r.Offline {
		// No index: the cache itself is a python.org-shaped mirror.
		if rel == "" {
			r.mu.Lock()
			r.fromCache = true
			r.mu.Unlock()
		}
		return FolderLister{Root: r.Home.CacheRoot()}.List(ctx, rel)
	}
	names, err := l.List(ctx, rel)
	if err != nil {
		return nil, err
	}
	names = releases.KeepRelevant(names)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.names += len(names)
	if r.names > maxNamesPerRun {
		return nil, fmt.Errorf("list %s: %w: the mirror's listings name more than %d entries in all (python.org's hold about 20 000)", r.Mirror.Dir(rel), releases.ErrListingTooLarge, maxNamesPerRun)
	}
	if idx.Mirrors[key] == nil {
		idx.Mirrors[key] = map[string]listing{}
	}
	idx.Mirrors[key][rel] = listing{FetchedAt: r.now().UTC(), Names: names}
	r.dirty = true
	return names, nil
}

// ListFolder lists a local folder the way ParseListing reads a mirror's:
// entry names, folders with a trailing "/"; a missing folder is empty.
func ListFolder(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		n := e.Name()
		if e.IsDir() {
			n += "/"
		}
		names = append(names, n)
	}
	return names, nil
}

// Resolve returns the newest version matching spec that the mirror offers
// with an artifact in one of formats (in order of preference) and its
// bundle. Newer matching releases skipped for lack of a bundle are
// reported through Notify. An exact version is returned as is, without
// a request; when installing it finds nothing, Missing explains.
func (r *Resolver) Resolve(ctx context.Context, spec releases.Spec, formats []releases.Format, pre bool) (releases.Version, error) {
	if spec.Exact != nil {
		return *spec.Exact, nil // no network: installing it asks the mirror
	}
	root, err := r.list(ctx, "")
	if err != nil {
		return releases.Version{}, err
	}
	var seen, prereleases []string
	listed := 0
	for _, folder := range releases.Folders(root) {
		if !spec.MatchesFolder(folder) {
			continue
		}
		if listed++; listed > maxResolveListings {
			return releases.Version{}, fmt.Errorf("%w: resolving %q read %d folder listings on %s without finding a signed release; giving up", releases.ErrListingTooLarge, spec.Raw, maxResolveListings, r.Mirror)
		}
		names, err := r.list(ctx, folder.String())
		if err != nil {
			return releases.Version{}, err
		}
		for _, a := range releases.FolderReleases(names) {
			if !spec.Matches(a.Version, pre) {
				if !pre && spec.Matches(a.Version, true) && len(a.Signed) > 0 {
					prereleases = append(prereleases, a.Version.String())
				}
				continue
			}
			for _, f := range formats {
				if a.Signed[f] {
					if len(seen) > 0 {
						r.notify("note: skipped newer %s: %s", spec.Raw, strings.Join(seen, ", "))
					}
					return a.Version, nil
				}
			}
			for _, f := range formats {
				if a.Artifacts[f] {
					seen = append(seen, a.Version.String()+" (no Sigstore bundle)")
					break
				}
			}
		}
		if len(seen) >= 5 {
			break
		}
	}
	if len(prereleases) > 0 && len(seen) == 0 {
		return releases.Version{}, fmt.Errorf("%w: no final release matching %q on %s, only prereleases (%s); add --pre to install one",
			fetch.ErrNotFound, spec.Raw, r.Where(), strings.Join(prereleases, ", "))
	}
	if len(root) == 0 {
		if err := r.folderGone(); err != nil {
			return releases.Version{}, err
		}
	}
	hint := "none"
	if len(seen) > 0 {
		hint = strings.Join(seen, ", ")
	} else if lines := newestLines(root, 5); lines != "" {
		hint = "none; newest folders on the mirror: " + lines
	}
	pref := ""
	if !pre {
		pref = " final"
	}
	return releases.Version{}, fmt.Errorf("%w: no%s release matching %q with a %s artifact and Sigstore bundle on %s (matching: %s)",
		fetch.ErrNotFound, pref, spec.Raw, formatList(formats), r.Where(), hint)
}

// Unresolved is a spec that did not resolve, and why.
type Unresolved struct {
	Spec releases.Spec
	Err  error
}

// ResolveAll turns specs into distinct versions, in the order given, each
// on its own: a spec that does not resolve is returned in unresolved and
// the others go on. It saves the index. When the mirror cannot be
// reached, an installed match is the answer, said through Notify (newer
// releases could not be checked).
func (r *Resolver) ResolveAll(ctx context.Context, specs []releases.Spec, formats []releases.Format, pre bool) (versions []releases.Version, unresolved []Unresolved) {
	defer r.Save() //nolint:errcheck // the index is a cache; losing it costs a request
	seen := map[releases.Version]bool{}
	for _, sp := range specs {
		v, err := r.Resolve(ctx, sp, formats, pre)
		if err != nil && ctx.Err() == nil && !errors.Is(err, fetch.ErrNotFound) && r.Installed != nil {
			if in, ok := r.Installed(sp); ok {
				r.notify("note: %v; newer %s releases could not be checked, using the installed %s", err, sp.Raw, in)
				v, err = in.Version, nil
			}
		}
		if err != nil {
			unresolved = append(unresolved, Unresolved{sp, err})
			continue
		}
		if !seen[v] {
			seen[v] = true
			versions = append(versions, v)
		}
	}
	return versions, unresolved
}

// Missing explains a not-found for exact version v from the mirror's root
// listing: when v's folder is not there, an ErrNotFound naming the newest
// release of v's line; nil when the folder exists or the listing cannot be
// had. Called only after an install or fetch found nothing, so an
// installed version is answered without any request.
func (r *Resolver) Missing(ctx context.Context, v releases.Version) error {
	if err := r.folderGone(); err != nil {
		return err
	}
	if r.Offline {
		return nil // the cache said what it lacks
	}
	root, err := r.list(ctx, "")
	if err != nil || len(root) == 0 {
		return nil
	}
	var newest *releases.Version
	for _, f := range releases.Folders(root) {
		if f == v.Final() {
			return nil
		}
		if f.Major == v.Major && f.Minor == v.Minor && (newest == nil || f.Compare(*newest) > 0) {
			f := f
			newest = &f
		}
	}
	if newest == nil {
		return fmt.Errorf("%w: no release %s on %s, and no %s release at all (pyfetch releases lists what there is)", fetch.ErrNotFound, v, r.Mirror, v.Line())
	}
	return fmt.Errorf("%w: no release %s on %s; the newest %s is %s (pyfetch releases %s lists them)", fetch.ErrNotFound, v, r.Mirror, v.Line(), newest, v.Line())
}

// folderGone says so when the mirror is a folder that is not there (a
// drive not mounted, a typo), offline too: nothing can be found in it.
func (r *Resolver) folderGone() error {
	if dir, ok := r.Mirror.Folder(); ok {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return fmt.Errorf("%w: the mirror folder %s does not exist or is not a folder (is it mounted? --mirror or PYFETCH_MIRROR names it)", fetch.ErrNotFound, dir)
		}
	}
	return nil
}

// Where names what the last resolution listed: the mirror, or, offline
// with no cached listing of it, the download cache (and what to do).
func (r *Resolver) Where() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fromCache {
		return fmt.Sprintf("the download cache %s (offline, and no listing of %s is cached: run pyfetch fetch or releases online once)", r.Home.CacheRoot(), r.Mirror)
	}
	return r.Mirror.String()
}

func (r *Resolver) notify(format string, args ...any) {
	if r.Notify != nil {
		r.Notify(fmt.Sprintf(format, args...))
	}
}

func formatList(fs []releases.Format) string {
	var s []string
	for _, f := range fs {
		s = append(s, string(f))
	}
	return strings.Join(s, " or ")
}

func newestLines(root []string, n int) string {
	fs := releases.Folders(root)
	var out []string
	for i := 0; i < len(fs) && i < n; i++ {
		out = append(out, fs[i].String())
	}
	return strings.Join(out, ", ")
}

// Offer is one version a mirror offers, as `pyfetch releases` shows it.
type Offer struct {
	Version string   `json:"version"`
	Formats []string `json:"formats"`
	Signed  []string `json:"signed_formats"`
	// Methods maps each signed format to how it is signed ("sigstore",
	// or "openpgp" for an .asc only).
	Methods   map[string]string `json:"methods"`
	Installed bool              `json:"installed"`
}

// Releases lists the versions matching spec (all when spec is nil) that
// the mirror offers, newest first. Folder listings are read in parallel.
func (r *Resolver) Releases(ctx context.Context, spec *releases.Spec, pre bool) ([]Offer, error) {
	root, err := r.list(ctx, "")
	if err != nil {
		return nil, err
	}
	if len(root) == 0 {
		if err := r.folderGone(); err != nil {
			return nil, err
		}
	}
	var folders []releases.Version
	for _, f := range releases.Folders(root) {
		if spec == nil || spec.MatchesFolder(f) {
			folders = append(folders, f)
		}
	}
	if len(folders) > maxReleasesListings {
		return nil, fmt.Errorf("%w: the mirror %s lists %d release folders, more than the %d pyfetch reads (python.org has about 400); name a line, e.g. pyfetch releases 3.13", releases.ErrListingTooLarge, r.Mirror, len(folders), maxReleasesListings)
	}
	const jobs = 8 // parallel listing requests
	results := make([][]string, len(folders))
	errs := parallel.Each(len(folders), jobs, func(i int) error {
		var err error
		results[i], err = r.list(ctx, folders[i].String())
		return err
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var out []Offer
	for _, names := range results {
		for _, a := range releases.FolderReleases(names) {
			if spec != nil && !spec.Matches(a.Version, pre || spec.Exact != nil) {
				continue
			}
			if spec == nil && a.Version.IsPrerelease() && !pre {
				continue
			}
			o := Offer{Version: a.Version.String()}
			for _, f := range releases.Formats("") {
				if a.Artifacts[f] {
					o.Formats = append(o.Formats, string(f))
				}
				if a.Signed[f] {
					o.Signed = append(o.Signed, string(f))
					if o.Methods == nil {
						o.Methods = map[string]string{}
					}
					o.Methods[string(f)] = a.Methods[f]
				}
			}
			if sp, err := releases.ParseSpec(o.Version); err == nil && r.Installed != nil {
				in, ok := r.Installed(sp)
				o.Installed = ok && in.Version == a.Version && !in.FreeThreaded
			}
			out = append(out, o)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, _ := releases.ParseVersion(out[i].Version)
		b, _ := releases.ParseVersion(out[j].Version)
		return a.Compare(b) > 0
	})
	return out, nil
}
