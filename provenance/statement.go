package provenance

import (
	"errors"
	"fmt"
	"path"
	"time"

	slsa "github.com/in-toto/attestation/go/predicates/provenance/v1"
	intoto "github.com/in-toto/attestation/go/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/pyfetch/pyfetch/internal/textsafe"
)

// Types a statement must carry.
const (
	PredicateSLSA = "https://slsa.dev/provenance/v1"
	// BuildType names how pyfetch builds CPython (install --build).
	BuildType = "https://github.com/pyfetch/pyfetch/buildtypes/cpython-install-build/v1"
	// BuilderID names pyfetch publish as the builder.
	BuilderID = "https://github.com/pyfetch/pyfetch/publish"
)

// ErrStatement: a statement is not one pyfetch publishes (wrong type,
// missing fields).
var ErrStatement = errors.New("not a pyfetch provenance statement")

// Platform is what a build runs on.
type Platform struct {
	OS   string `json:"os"`   // linux, darwin
	Arch string `json:"arch"` // x86_64, aarch64
	// Libc is gnu or musl on Linux ("" elsewhere), LibcVersion its
	// version ("2.36"): a build runs where the libc is at least as new.
	Libc        string `json:"libc,omitempty"`
	LibcVersion string `json:"libcVersion,omitempty"`
}

// String is the platform's part of an archive name: linux-x86_64-gnu.
func (p Platform) String() string {
	s := p.OS + "-" + p.Arch
	if p.Libc != "" {
		s += "-" + p.Libc
	}
	return s
}

// Options are the build options a runner asks for.
type Options struct {
	ConfigureArgs []string `json:"configureArgs"` // as given, without --prefix
	Optimize      bool     `json:"optimize"`
	FreeThreaded  bool     `json:"freeThreaded"`
}

// Source is the python.org artifact a build was made from, as verified.
type Source struct {
	Name     string `json:"name"` // Python-3.13.5.tar.xz
	URL      string `json:"uri"`  // where python.org publishes it
	SHA256   string `json:"sha256"`
	Signer   string `json:"signer"` // the release manager's identity
	Issuer   string `json:"issuer"`
	LogIndex int64  `json:"rekorLogIndex"`
}

// Build is everything a statement says about one prebuilt interpreter.
type Build struct {
	// Archive and ArchiveSHA256 are the subject.
	Archive       string
	ArchiveSHA256 string
	Version       string // 3.13.5
	Platform      Platform
	Options       Options
	Source        Source
	// Prefix is where the build was installed (what relocation rewrites).
	Prefix   string
	Compiler string // gcc (Debian 12.2.0-14) 12.2.0
	// ConfigureArgs are all the arguments configure ran with.
	ConfigureArgs []string
	// Missing are the optional modules the build could not make.
	Missing    []string
	Pyfetch    string // pyfetch's version
	FinishedOn time.Time
}

// Statement returns b as an in-toto Statement v1 with a SLSA v1
// provenance predicate, as JSON.
func Statement(b Build) ([]byte, error) {
	ext, err := structpb.NewStruct(map[string]any{
		"version":       b.Version,
		"platform":      toAny(b.Platform),
		"configureArgs": anyList(b.Options.ConfigureArgs),
		"optimize":      b.Options.Optimize,
		"freeThreaded":  b.Options.FreeThreaded,
	})
	if err != nil {
		return nil, err
	}
	internal, err := structpb.NewStruct(map[string]any{
		"prefix":         b.Prefix,
		"compiler":       b.Compiler,
		"configureArgs":  anyList(b.ConfigureArgs),
		"missingModules": anyList(b.Missing),
	})
	if err != nil {
		return nil, err
	}
	ann, err := structpb.NewStruct(map[string]any{
		"signer":        b.Source.Signer,
		"issuer":        b.Source.Issuer,
		"rekorLogIndex": float64(b.Source.LogIndex),
		"verifiedBy":    "sigstore",
	})
	if err != nil {
		return nil, err
	}
	pred := &slsa.Provenance{
		BuildDefinition: &slsa.BuildDefinition{
			BuildType:          BuildType,
			ExternalParameters: ext,
			InternalParameters: internal,
			ResolvedDependencies: []*intoto.ResourceDescriptor{{
				Name:        b.Source.Name,
				Uri:         b.Source.URL,
				Digest:      map[string]string{"sha256": b.Source.SHA256},
				Annotations: ann,
			}},
		},
		RunDetails: &slsa.RunDetails{
			Builder:  &slsa.Builder{Id: BuilderID, Version: map[string]string{"pyfetch": b.Pyfetch}},
			Metadata: &slsa.BuildMetadata{FinishedOn: timestamppb.New(b.FinishedOn.UTC())},
		},
	}
	pjson, err := protojson.Marshal(pred)
	if err != nil {
		return nil, err
	}
	ps := &structpb.Struct{}
	if err := protojson.Unmarshal(pjson, ps); err != nil {
		return nil, err
	}
	st := &intoto.Statement{
		Type:          intoto.StatementTypeUri,
		Subject:       []*intoto.ResourceDescriptor{{Name: b.Archive, Digest: map[string]string{"sha256": b.ArchiveSHA256}}},
		PredicateType: PredicateSLSA,
		Predicate:     ps,
	}
	if err := st.Validate(); err != nil {
		return nil, err
	}
	return protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(st)
}

// Parse reads a Build back from a statement (one that was verified, or
// is only looked at).
func Parse(data []byte) (*Build, error) {
	var st intoto.Statement
	if err := protojson.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStatement, err)
	}
	return FromStatement(&st)
}

// FromStatement reads a Build from a decoded statement.
func FromStatement(st *intoto.Statement) (*Build, error) {
	if st.GetType() != intoto.StatementTypeUri || st.GetPredicateType() != PredicateSLSA {
		return nil, fmt.Errorf("%w: expected an in-toto v1 statement with predicate %s, found %q with %q", ErrStatement, PredicateSLSA, st.GetType(), st.GetPredicateType())
	}
	if len(st.GetSubject()) != 1 {
		return nil, fmt.Errorf("%w: expected one subject (the archive), found %d", ErrStatement, len(st.GetSubject()))
	}
	pjson, err := protojson.Marshal(st.GetPredicate())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStatement, err)
	}
	var pred slsa.Provenance
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(pjson, &pred); err != nil {
		return nil, fmt.Errorf("%w: predicate: %v", ErrStatement, err)
	}
	bd := pred.GetBuildDefinition()
	if bd.GetBuildType() != BuildType {
		return nil, fmt.Errorf("%w: expected build type %s, found %q", ErrStatement, BuildType, bd.GetBuildType())
	}
	deps := bd.GetResolvedDependencies()
	if len(deps) != 1 {
		return nil, fmt.Errorf("%w: expected one resolved dependency (the python.org source), found %d", ErrStatement, len(deps))
	}
	ext := bd.GetExternalParameters().AsMap()
	in := bd.GetInternalParameters().AsMap()
	ann := deps[0].GetAnnotations().AsMap()
	b := &Build{
		Archive:       st.GetSubject()[0].GetName(),
		ArchiveSHA256: st.GetSubject()[0].GetDigest()["sha256"],
		Version:       str(ext["version"]),
		Options: Options{
			ConfigureArgs: strs(ext["configureArgs"]),
			Optimize:      ext["optimize"] == true,
			FreeThreaded:  ext["freeThreaded"] == true,
		},
		Source: Source{
			Name:   deps[0].GetName(),
			URL:    deps[0].GetUri(),
			SHA256: deps[0].GetDigest()["sha256"],
			Signer: str(ann["signer"]),
			Issuer: str(ann["issuer"]),
		},
		Prefix:        str(in["prefix"]),
		Compiler:      str(in["compiler"]),
		ConfigureArgs: strs(in["configureArgs"]),
		Missing:       strs(in["missingModules"]),
		Pyfetch:       pred.GetRunDetails().GetBuilder().GetVersion()["pyfetch"],
		FinishedOn:    pred.GetRunDetails().GetMetadata().GetFinishedOn().AsTime(),
	}
	if n, ok := ann["rekorLogIndex"].(float64); ok {
		b.Source.LogIndex = int64(n)
	}
	if p, ok := ext["platform"].(map[string]any); ok {
		b.Platform = Platform{OS: str(p["os"]), Arch: str(p["arch"]), Libc: str(p["libc"]), LibcVersion: str(p["libcVersion"])}
	}
	if b.Version == "" || b.Source.SHA256 == "" || b.Prefix == "" || b.Platform.OS == "" || b.ArchiveSHA256 == "" {
		return nil, fmt.Errorf("%w: expected version, platform, prefix, the archive's and the source's sha256; some are missing", ErrStatement)
	}
	// What a statement says reaches receipts, logs and GITHUB_OUTPUT, and
	// its prefix is rewritten in files: nothing that does not print as
	// itself, and a prefix that is a clean absolute folder below /.
	fields := []string{b.Archive, b.ArchiveSHA256, b.Version, b.Platform.OS, b.Platform.Arch, b.Platform.Libc, b.Platform.LibcVersion,
		b.Source.Name, b.Source.URL, b.Source.SHA256, b.Source.Signer, b.Source.Issuer, b.Prefix, b.Compiler, b.Pyfetch}
	fields = append(append(append(fields, b.Options.ConfigureArgs...), b.ConfigureArgs...), b.Missing...)
	for _, f := range fields {
		if !textsafe.Clean(f) {
			return nil, fmt.Errorf("%w: a field holds a control character or line break: %s", ErrStatement, textsafe.Escape(f))
		}
	}
	if !path.IsAbs(b.Prefix) || path.Clean(b.Prefix) != b.Prefix || b.Prefix == "/" {
		return nil, fmt.Errorf("%w: the prefix %s is not a clean absolute folder", ErrStatement, textsafe.Escape(b.Prefix))
	}
	return b, nil
}

func toAny(p Platform) map[string]any {
	m := map[string]any{"os": p.OS, "arch": p.Arch}
	if p.Libc != "" {
		m["libc"], m["libcVersion"] = p.Libc, p.LibcVersion
	}
	return m
}

func anyList(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func strs(v any) []string {
	l, _ := v.([]any)
	out := []string{}
	for _, e := range l {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
