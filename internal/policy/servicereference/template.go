package servicereference

import "strings"

// template is a reference key with placeholders, split into its literal
// parts (lower case). Each placeholder matches one or more characters. The
// reference writes placeholders as ${TagKey} and, for a few keys, as <key>.
type template struct {
	parts []string
}

// isTemplate reports whether a reference key has placeholders.
func isTemplate(key string) bool {
	return strings.Contains(key, "${") || strings.Contains(key, "<")
}

func compileTemplate(s string) template {
	var t template
	for {
		i := strings.IndexAny(s, "$<")
		if i < 0 {
			break
		}
		closer := ">"
		if s[i] == '$' {
			if !strings.HasPrefix(s[i:], "${") {
				break
			}
			closer = "}"
		}
		j := strings.Index(s[i:], closer)
		if j < 0 {
			break
		}
		t.parts = append(t.parts, strings.ToLower(s[:i]))
		s = s[i+j+1:]
	}
	t.parts = append(t.parts, strings.ToLower(s))
	return t
}

// match reports whether s (any case) fits the template.
func (t template) match(s string) bool {
	s = strings.ToLower(s)
	if len(t.parts) == 1 {
		return s == t.parts[0]
	}
	first, last := t.parts[0], t.parts[len(t.parts)-1]
	if !strings.HasPrefix(s, first) || !strings.HasSuffix(s[len(first):], last) {
		return false
	}
	mid := s[len(first) : len(s)-len(last)]
	for _, p := range t.parts[1 : len(t.parts)-1] {
		// Each placeholder before p needs at least one character.
		if mid == "" {
			return false
		}
		i := strings.Index(mid[1:], p)
		if i < 0 {
			return false
		}
		mid = mid[1+i+len(p):]
	}
	return len(mid) > 0
}

// globMatch reports whether s matches pattern, where * matches any run of
// characters and ? any one character. Both are compared as given.
func globMatch(pattern, s string) bool {
	px, sx := 0, 0
	starP, starS := -1, 0
	for sx < len(s) {
		switch {
		case px < len(pattern) && (pattern[px] == '?' || pattern[px] == s[sx]):
			px++
			sx++
		case px < len(pattern) && pattern[px] == '*':
			starP, starS = px, sx
			px++
		case starP >= 0:
			px = starP + 1
			starS++
			sx = starS
		default:
			return false
		}
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}
