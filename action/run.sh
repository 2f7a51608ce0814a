#!/usr/bin/env bash
# The steps of action.yml (the composite GitHub Action), as one script so
# that a test can run them with a simulated GITHUB_* environment:
#   run.sh setup    build pyfetch from the action's own source (the ref
#                   the workflow pinned) into $RUNNER_TEMP, unless
#                   PYFETCH_BIN names one already
#   run.sh key      write the install's cache key to GITHUB_OUTPUT
#                   (cache-key=; none for a source install, or with
#                   cache: false)
#   run.sh install  install, writing python-path, python-version,
#                   cache-hit... to GITHUB_OUTPUT
# Inputs arrive as INPUT_* environment variables (never spliced into the
# script text, so an input cannot inject shell).
set -euo pipefail

die() { echo "pyfetch action: $*" >&2; exit 2; }

# abs PATH: PATH made absolute against the step's starting folder (the
# workspace), so that a relative home, key or folder mirror names the same
# file after the install step moves into the .python-version's folder; a
# leading ~/ is the runner's home, as actions/cache reads it.
abs() {
  case "$1" in
    /*) printf '%s' "$1" ;;
    "~") printf '%s' "${HOME:?}" ;;
    "~/"*) printf '%s/%s' "${HOME:?}" "${1#"~/"}" ;;
    *) printf '%s/%s' "$PWD" "$1" ;;
  esac
}

bin="${PYFETCH_BIN:-${RUNNER_TEMP:-/tmp}/pyfetch-action/pyfetch}"

# The versions: python-version (one or more, space-separated), else the
# python-version-file, which must be a .python-version, asdf's
# .tool-versions, one of mise's files or a pyproject.toml (its
# requires-python): pyfetch reads
# that file (--version-file), with its own checks, from its folder.
versions=()
wd="."
if [[ -n "${INPUT_PYTHON_VERSION:-}" ]]; then
  read -r -a words <<<"${INPUT_PYTHON_VERSION}"
  # A range may hold spaces (">=3.11, <3.14", "^3.9 || ^4"): a word after
  # one ending in "," or "||", or one starting with them, joins it, so
  # that only whole versions and ranges are split apart.
  for w in "${words[@]}"; do
    n=${#versions[@]}
    if ((n > 0)) && [[ "${versions[n - 1]}" == *, || "${versions[n - 1]}" == *"||" || "$w" == ,* || "$w" == "||"* ]]; then
      versions[n - 1]+=" $w"
    else
      versions+=("$w")
    fi
  done
elif [[ -n "${INPUT_PYTHON_VERSION_FILE:-}" ]]; then
  name="$(basename -- "$INPUT_PYTHON_VERSION_FILE")"
  # mise's names: mise.toml, mise.local.toml, their dotted forms, and
  # config.toml in a mise/, .mise/ or .config/mise/ folder (pyfetch
  # tells a mise file by the folders its name ends with).
  case "/$INPUT_PYTHON_VERSION_FILE" in
    */.python-version | */.python-versions | */.tool-versions | */pyproject.toml) ;;
    */mise.toml | */.mise.toml | */mise.local.toml | */.mise.local.toml) ;;
    */mise/config.toml | */.mise/config.toml) ;;
    *) die "python-version-file must name a .python-version, .tool-versions, mise.toml (or another of mise's names) or pyproject.toml file, got: ${INPUT_PYTHON_VERSION_FILE}" ;;
  esac
  [[ -f "$INPUT_PYTHON_VERSION_FILE" ]] || die "python-version-file ${INPUT_PYTHON_VERSION_FILE} does not exist"
  wd="$(dirname -- "$INPUT_PYTHON_VERSION_FILE")"
  versions=(--version-file "$name")
fi

# common: what says which Python (mirror, build options); policy: the
# fleet's, for --prebuilt.
common=()
policy=()
if [[ -n "${INPUT_MIRROR:-}" ]]; then
  mirror="$INPUT_MIRROR"
  # A folder (no scheme://) is relative to the workspace.
  [[ "$mirror" == *://* ]] || mirror="$(abs "$mirror")"
  common+=(--mirror "$mirror")
fi
case "${INPUT_BUILD:-false}" in
  true) common+=(--build) ;;
  false | "") ;;
  *) die "build must be true or false, got: ${INPUT_BUILD}" ;;
esac
case "${INPUT_CACHE:-true}" in
  true | false) ;;
  *) die "cache must be true or false, got: ${INPUT_CACHE}" ;;
esac
if [[ -n "${INPUT_PREBUILT_KEY:-}" ]]; then
  key="$INPUT_PREBUILT_KEY"
  if [[ "$key" == "-----BEGIN"* ]]; then
    # The key itself rather than a path to it.
    dir="$(mktemp -d)"
    printf '%s\n' "$key" >"$dir/fleet.pub"
    key="$dir/fleet.pub"
  else
    key="$(abs "$key")"
  fi
  policy+=(--prebuilt --prebuilt-key "$key")
fi
if [[ -n "${INPUT_PREBUILT_IDENTITY:-}${INPUT_PREBUILT_ISSUER:-}" ]]; then
  policy+=(--prebuilt --prebuilt-identity "${INPUT_PREBUILT_IDENTITY:-}" --prebuilt-issuer "${INPUT_PREBUILT_ISSUER:-}")
fi

case "${1:-}" in
  setup)
    # PYFETCH_HOME for the later steps (and actions/cache's paths): one
    # line, absolute, so that no input writes another variable.
    home="${INPUT_HOME:-}"
    if [[ -z "$home" ]]; then
      [[ -n "${RUNNER_TOOL_CACHE:-}" ]] || die "RUNNER_TOOL_CACHE is not set: give the home input"
      home="$RUNNER_TOOL_CACHE/pyfetch"
    fi
    [[ "$home" != *$'\n'* && "$home" != *$'\r'* ]] || die "home must be one line, got: ${home@Q}"
    [[ -n "${GITHUB_ENV:-}" ]] || die "GITHUB_ENV is not set: run.sh setup runs as a step of action.yml"
    printf 'PYFETCH_HOME=%s\n' "$(abs "$home")" >>"$GITHUB_ENV"
    if [[ -n "${PYFETCH_BIN:-}" ]]; then
      "$bin" version
      exit 0
    fi
    command -v go >/dev/null || die "Go is needed to build pyfetch (actions/setup-go), or set PYFETCH_BIN"
    mkdir -p "$(dirname -- "$bin")"
    (cd "${GITHUB_ACTION_PATH:?}" && go build -trimpath -o "$bin" ./cmd/pyfetch)
    "$bin" version
    ;;
  key)
    # A build's (and a prebuilt's) key names the verified source, the
    # options and the compiler; a source install is fast and not cached,
    # and cache: false keeps the install out of actions/cache (no key, so
    # action.yml's cache step does not run).
    if [[ "${INPUT_CACHE:-true}" == true ]] && [[ " ${common[*]} " == *" --build "* || ${#policy[@]} -gt 0 ]]; then
      # pyfetch writes cache-key to GITHUB_OUTPUT itself.
      (cd "$wd" && "$bin" install "${common[@]}" --build --print-cache-key "${versions[@]}")
    fi
    ;;
  install)
    cd "$wd"
    "$bin" install "${common[@]}" "${policy[@]}" "${versions[@]}"
    ;;
  *)
    die "usage: run.sh setup|key|install"
    ;;
esac
