// Package compile turns a verified CPython source folder into an installed
// prefix: ./configure --prefix=<final prefix>, make -j<N>, make install
// into a staging folder (DESTDIR), the new interpreter's checks, and the
// python/pip links. It knows nothing of trust, transport or where the
// prefix ends up: the caller hands it a source folder and a staging
// folder, and moves the staged prefix into place.
//
// Guarantees: every child runs in its own process group, and a cancelled
// context kills the whole group (no compiler keeps running); configure
// and make output goes to the caller's log, never to the terminal; a
// build whose ssl or zlib cannot be imported fails (ErrRequiredModule).
package compile
