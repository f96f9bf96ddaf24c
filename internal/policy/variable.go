package policy

import "strings"

// Policy variables ("${aws:username}") are written in Resource, NotResource
// and condition values of Version 2012-10-17 documents. They are parsed at
// compile time into tokVar tokens and resolved against the request when a
// statement is evaluated; see reference_policies_variables in the IAM User
// Guide.

// parseVariable parses the variable at the start of s ("${" is already
// known to be there). It returns the token and the number of bytes used; ok
// is false when the text is not a well-formed variable, in which case AWS
// keeps it as literal text.
//
// The special variables ${*}, ${?} and ${$} are returned as literal tokens:
// they stand for the character itself, never for a wildcard.
func parseVariable(s string) (tok patTok, n int, ok bool) {
	end := strings.IndexByte(s, '}')
	if end < 0 {
		return patTok{}, 0, false
	}
	body := s[2:end]
	switch body {
	case "*", "?", "$":
		return patTok{kind: tokLit, text: body}, end + 1, true
	}
	key, def, hasDef := body, "", false
	if i := strings.IndexByte(body, ','); i >= 0 {
		// ${key, 'default value'}: the default is single-quoted.
		key = strings.TrimSpace(body[:i])
		d := strings.TrimSpace(body[i+1:])
		if len(d) < 2 || d[0] != '\'' || d[len(d)-1] != '\'' {
			// The default may itself contain "}" only if quoted; a quote
			// left open means the variable ends later.
			if len(d) >= 1 && d[0] == '\'' {
				if close := strings.Index(s[end:], "'}"); close >= 0 {
					end += close + 1
					body = s[2:end]
					d = strings.TrimSpace(body[i+1:])
					return patTok{kind: tokVar, text: key, def: d[1 : len(d)-1], hasDef: true}, end + 1, key != ""
				}
			}
			return patTok{}, 0, false
		}
		def, hasDef = d[1:len(d)-1], true
	}
	if key == "" || strings.ContainsAny(key, " \t\n") {
		return patTok{}, 0, false
	}
	return patTok{kind: tokVar, text: key, def: def, hasDef: hasDef}, end + 1, true
}

// variable returns the single value of a request key for substitution. A key
// that is absent, empty or multi-valued has no value: AWS does not
// substitute multivalued keys.
func (e *env) variable(key string) (string, bool) {
	v, ok := e.lookup(key)
	if !ok || v.len() != 1 {
		return "", false
	}
	return v.at(0), true
}
