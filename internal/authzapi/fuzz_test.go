package authzapi

import (
	"testing"
)

// FuzzParseRouteMap: any input either parses or is an error; never a
// panic.
func FuzzParseRouteMap(f *testing.F) {
	f.Add([]byte("services:\n  - name: orders\n    routes:\n      - method: GET\n        path: /orders/{id}\n        action: orders:GetOrder\n        resource: arn:aws:orders:{region}:{account}:order/{id}\n"))
	f.Add([]byte("services:\n  - name: a\n    routes:\n      - {method: '*', path: '/{k+}', action: 'a:B', resource: '*', conditions: {'a:C': 'path:k'}}\n"))
	f.Add([]byte("{"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ParseRouteMap(data, defaults)
	})
}

// FuzzMatch: a match never panics, its captures lie inside the path, and
// a path with a dot segment never matches.
func FuzzMatch(f *testing.F) {
	for _, s := range []string{"/orders/1", "/orders/../x", "/files/a/b/c", "/files/%2e%2e/x", "//", "/orders/%zz"} {
		f.Add(s)
	}
	tmpls := []string{"/orders/{id}", "/files/{key+}", "/a/{b}/c/{d+}", "/"}
	var compiled []*template
	for _, s := range tmpls {
		tp, err := compileTemplate(s)
		if err != nil {
			f.Fatal(err)
		}
		compiled = append(compiled, tp)
	}
	f.Fuzz(func(t *testing.T, path string) {
		for _, tp := range compiled {
			var c captures
			if !tp.match(path, &c) {
				continue
			}
			if hasDotSegment(path[1:]) {
				t.Errorf("%q matched %q, which has a dot segment", tp.text, path)
			}
			for i := 0; i < c.n; i++ {
				if s := c.span[i]; s.start < 0 || s.end > len(path) || s.start > s.end {
					t.Errorf("capture %d of %q on %q: %v", i, tp.text, path, s)
				}
				_, _ = c.value(path, i)
			}
		}
	})
}
