package main

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// commandHelp is each command's synopsis, description and examples,
// shown by `pyfetch help CMD` and `pyfetch CMD -h`.
var commandHelp = map[string]struct {
	synopsis, about string
	examples        []string
}{
	"install": {"install [flags] [SPEC...]",
		"Download, verify and unpack CPython source releases into $PYFETCH_HOME/versions/,\nor with --build, build them into a working python. SPEC is 3.13.1, 3.15.0a1,\n3.13, 3, latest, python3.13, cpython-3.13.5, 3.13t (free-threaded build), or a\nrange: PEP 440's \">=3.11,<3.14\" or Poetry's \"^3.11\" (quoted for the shell).\nWithout SPEC, the nearest .python-version (or mise.toml or .tool-versions\npython) is read; else the nearest pyproject.toml's requires-python (or Poetry's python).",
		[]string{"pyfetch install 3.13", "pyfetch install --build 3.13.5", "pyfetch install --offline --format tar.xz 3.12 3.13", "pyfetch install --prebuilt --prebuilt-key fleet.pub --mirror s3://fleet/python/ 3.13"}},
	"publish": {"publish [--sign-key FILE] [flags] DEST VERSION...",
		"Pack installed builds (install --build) into DEST/X.Y.Z/prebuilt/ with a signed\nprovenance statement (in-toto, SLSA v1) binding each to python.org's signature\non its source, verified again first. DEST is a folder or s3://BUCKET/PREFIX/.\nWithout --sign-key the statement is written for signing elsewhere (keyless CI).\nRunners install with: pyfetch install --prebuilt --prebuilt-key FLEET.pub",
		[]string{"pyfetch keygen fleet", "pyfetch publish --sign-key fleet.key /srv/mirror 3.13.5", "pyfetch publish --sign-key fleet.key s3://fleet/python/ 3.13"}},
	"keygen": {"keygen NAME",
		"Write a fleet signing key pair: NAME.key (ECDSA P-256, PEM, mode 0600; keep it\nsecret) and NAME.pub (for runners' --prebuilt-key).",
		[]string{"pyfetch keygen fleet"}},
	"lock": {"lock [flags] [SPEC...]",
		"Resolve, download and verify each version, and pin its artifact, SHA-256, size,\nsigner and transparency-log entry in pyfetch.lock (next to the .python-version\nit read, else in this folder). Pins stay until --upgrade moves them forward.\ninstall --locked then installs exactly those bytes, or nothing.",
		[]string{"pyfetch lock 3.12 3.13", "pyfetch lock --upgrade 3.13", "pyfetch install --locked"}},
	"fetch": {"fetch [flags] SPEC...",
		"Download and verify releases into the cache, without unpacking (cache priming).",
		[]string{"pyfetch fetch 3.12 3.13", "pyfetch fetch --format tar.xz 3.13"}},
	"verify": {"verify [flags] ARTIFACT | sha256:HEX --bundle FILE",
		"Verify a file you already have (a source tarball, a Windows installer or\nembeddable zip, a macOS package, ...) against its Sigstore bundle and the\nrelease manager of its line.",
		[]string{"pyfetch verify Python-3.13.1.tgz", "pyfetch verify python-3.13.1-amd64.exe --bundle python-3.13.1-amd64.exe.sigstore", "pyfetch verify sha256:1513925a... --bundle Python-3.13.1.tgz.sigstore", "pyfetch verify Python-3.13.1.tgz --bundle <(curl -fsSL https://www.python.org/ftp/python/3.13.1/Python-3.13.1.tgz.sigstore)"}},
	"releases": {"releases [flags] [SPEC]",
		"What the mirror offers, newest first, with the formats that have a bundle.",
		[]string{"pyfetch releases 3.13", "pyfetch releases --pre 3.15"}},
	"upgrade": {"upgrade [flags] [LINE...]",
		"Move each installed release line (or each LINE named: 3.13, 3.13t) to its newest\nsigned release, made the way the line's newest install was: unpacked, built\nwith the same options, or the fleet's prebuilt (checked against\n--prebuilt-key or --prebuilt-identity). The older install is kept (--remove-old\nremoves a line's older installs); a line at its newest is said so. --dry-run\nchanges nothing.",
		[]string{"pyfetch upgrade", "pyfetch upgrade --dry-run --json", "pyfetch upgrade --remove-old 3.13 3.13t", "pyfetch upgrade --prebuilt-key fleet.pub"}},
	"list": {"list [flags]", "Installed versions with their receipts (source tree or build).",
		[]string{"pyfetch list", "pyfetch list --json"}},
	"path": {"path [flags] SPEC", "The install folder of the newest installed version matching SPEC.",
		[]string{"pyfetch path 3.13", `export PATH="$(pyfetch path 3.13)/bin:$PATH"`}},
	"uninstall": {"uninstall [flags] VERSION...", "Remove installed versions atomically. A line (3.13) works when one install matches.",
		[]string{"pyfetch uninstall 3.13.1", "pyfetch uninstall 3.12"}},
	"cache": {"cache ls | cache prune [--older-than 30d] [--dry-run] | cache clean [--dry-run]",
		"Inspect or trim the download cache. prune keeps what an install came from and\nwhat was fetched or used in the last 30 days (build logs alike: an installed\nbuild's log is kept); clean removes everything.",
		[]string{"pyfetch cache ls", "pyfetch cache prune --older-than 90d --dry-run", "pyfetch cache clean"}},
	"mirror": {"mirror export [flags] DIR [SPEC...] | mirror push [flags] s3://BUCKET/PREFIX/ [SPEC...]",
		"Write a python.org-shaped mirror from the cache (re-verified), plus the trusted\nroot: into a folder (export) or an S3-compatible bucket (push).",
		[]string{"pyfetch mirror export /media/usb/python 3.13", "pyfetch mirror push s3://fleet/python/ 3.13", "pyfetch install --mirror file:///media/usb/python/ --trusted-root /media/usb/python/trusted_root.json 3.13"}},
	"signers": {"signers [flags]", "The release-manager identity of each release line.",
		[]string{"pyfetch signers", "pyfetch signers --json"}},
	"version": {"version [--json]", "Print pyfetch's version.", []string{"pyfetch version"}},
}

// helpJSON is `pyfetch help [COMMAND] --json`: each command's (or the
// one named's) usage, description and examples, for a machine to read.
func (a *app) helpJSON(args []string) error {
	type command struct {
		Name     string   `json:"name"`
		Usage    string   `json:"usage"`
		About    string   `json:"about"`
		Examples []string `json:"examples"`
	}
	var names []string
	for _, arg := range args {
		if !strings.HasPrefix(arg, "-") {
			names = append(names, arg)
		}
	}
	if len(names) > 1 {
		return fmt.Errorf("%w: help takes one command, got %d", errUsage, len(names))
	}
	if len(names) == 0 {
		for n := range commandHelp {
			names = append(names, n)
		}
		sort.Strings(names)
	} else if _, ok := commandHelp[names[0]]; !ok {
		return unknownCommand(names[0])
	}
	doc := struct {
		Commands []command `json:"commands"`
	}{Commands: []command{}}
	for _, n := range names {
		h := commandHelp[n]
		doc.Commands = append(doc.Commands, command{n, "pyfetch " + h.synopsis, h.about, h.examples})
	}
	return a.printJSON(doc)
}

// printHelp writes a command's help: synopsis, description, its flags
// and examples.
func printHelp(w io.Writer, cmd string, fs *flag.FlagSet) {
	h, ok := commandHelp[strings.Fields(cmd + " x")[0]]
	if !ok {
		fmt.Fprint(w, usageText)
		return
	}
	fmt.Fprintf(w, "usage: pyfetch %s\n\n%s\n", h.synopsis, h.about)
	if fs != nil {
		fmt.Fprintln(w, "\nflags:")
		printFlags(w, fs)
	}
	fmt.Fprintln(w, "\nexamples:")
	for _, e := range h.examples {
		fmt.Fprintf(w, "  %s\n", e)
	}
}

// isHelpFlag: -h, --help or -help, as the flag package reads them.
func isHelpFlag(arg string) bool {
	switch arg {
	case "-h", "--h", "-help", "--help":
		return true
	}
	return false
}

// suggest returns the candidate nearest to word, if it is close enough
// to be a typo: one edit for short names, two for names of 6 or more.
func suggest(word string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		limit := 1
		if len(c) >= 6 {
			limit = 2
		}
		if d := editDistance(word, c); d <= limit && d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

func flagNames(fs *flag.FlagSet) []string {
	var names []string
	fs.VisitAll(func(f *flag.Flag) {
		if !isShort(f) {
			names = append(names, f.Name)
		}
	})
	sort.Strings(names)
	return names
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// printFlags lists a command's flags as they are typed: with two dashes,
// their value's kind and default.
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		if isShort(f) {
			return // shown beside its long form
		}
		kind, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if s := shortOf(fs, f); s != "" {
			line = "  -" + s + ", --" + f.Name
		}
		if kind != "" {
			line += " " + kind
		}
		fmt.Fprintln(w, line)
		def := ""
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" && f.DefValue != "0s" {
			def = fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "      %s%s\n", strings.ReplaceAll(usage, "\n", "\n      "), def)
	})
}
