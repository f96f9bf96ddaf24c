// Package vectortest finds the shared public test corpora for tests.
//
// The corpora live beside the repository, in ../shared/vectors, and are never
// copied into it. A test that needs them calls Dir: when the folder is
// missing the test is skipped with a message, except under CI (CI=true),
// where a missing corpus is a failure, so CI can never pass by skipping.
//
// Only tests import this package.
package vectortest

import (
	"os"
	"path/filepath"
	"testing"
)

// EnvDir overrides where the corpora are looked for.
const EnvDir = "BREVET_VECTORS"

// Root returns the vectors folder, or "" when it cannot be found.
func Root() string {
	if d := os.Getenv(EnvDir); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	// Walk up to the module root (the folder with go.mod); the corpora
	// are in ../shared/vectors from there.
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(filepath.Dir(dir), "shared", "vectors")
		}
		if filepath.Dir(dir) == dir {
			return ""
		}
	}
}

// Dir returns the path of one corpus (a folder or file under the vectors
// root, for example "sigv4-aws-c-auth/v4"). It skips the test when the corpus
// is missing, or fails it under CI.
func Dir(tb testing.TB, name string) string {
	tb.Helper()
	root := Root()
	p := filepath.Join(root, name)
	if root == "" {
		missing(tb, "the shared vectors folder (../shared/vectors beside the repository)")
	} else if _, err := os.Stat(p); err != nil {
		missing(tb, p)
	}
	return p
}

func missing(tb testing.TB, what string) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("test corpus missing: %s (CI must have ../shared/vectors)", what)
	}
	tb.Skipf("test corpus missing: %s; skipping (set %s to point elsewhere)", what, EnvDir)
}
