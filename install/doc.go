// Package install manages what is installed: it makes a version an
// install (lock → obtain a verified artifact from the store → unpack or
// build into a private temp folder → receipt → atomic rename), and
// lists, finds and uninstalls installs, believing only folders and
// receipts that are the user's own.
//
// Guarantees: nothing is unpacked before verification succeeded;
// concurrent processes sharing a home serialise per version; an install
// that fails leaves versions/ as it was; "installed" means a folder only
// the user can change with a receipt only the user wrote.
package install
