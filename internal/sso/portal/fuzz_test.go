package portal

import (
	"regexp"
	"testing"
)

// sessionNamePattern is STS's RoleSessionName (and SourceIdentity)
// constraint.
var sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)

// FuzzSessionName: whatever a person's name (an identity provider's
// claim), the session name made of it is one STS accepts.
func FuzzSessionName(f *testing.F) {
	for _, s := range []string{"", "a", "ann", "carol smith@example.com", "zoë", "名前", "\x00\xff", string(make([]byte, 300))} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if got := SessionName(name); !sessionNamePattern.MatchString(got) {
			t.Errorf("SessionName(%q) = %q, not a valid session name", name, got)
		}
	})
}

// FuzzNextToken: a next token from a client never panics the page
// reader, and one it accepts names a well-formed item that gives back
// the same token.
func FuzzNextToken(f *testing.F) {
	for _, s := range []string{"", "YToxMTExMjIyMjMzMzM", "cjpEZXY", "cjphIGI", "not base64!", "====", *nextToken("r", "Dev")} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		for _, kind := range []struct {
			prefix string
			item   *regexp.Regexp
		}{{"a", accountID}, {"r", roleName}} {
			_, after, err := page(nil, &token, kind.prefix, kind.item)
			if err != nil {
				continue
			}
			if !kind.item.MatchString(after) {
				t.Fatalf("token %q accepted with item %q", token, after)
			}
			if back := *nextToken(kind.prefix, after); back != token {
				t.Fatalf("token %q names %q, whose token is %q", token, after, back)
			}
		}
	})
}
