package signin

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzLocalNext: whatever next a request carries, the pages only ever
// continue to a path of this site.
func FuzzLocalNext(f *testing.F) {
	for _, s := range []string{"/start", "//evil.example", "/\\evil.example", "https://evil.example/", "/sso/device?user_code=BCDF-GHJK",
		"/%2F%2Fevil", "/\t/evil", "", "javascript:alert(1)", "/a?next=//b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := localNext(next)
		u, err := url.Parse(got)
		if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") ||
			strings.ContainsAny(got, "\\\r\n\t\x00") {
			t.Fatalf("localNext(%q) = %q leaves the site", next, got)
		}
		if got != next && got != "/start" {
			t.Fatalf("localNext(%q) = %q: changed, not replaced", next, got)
		}
	})
}
