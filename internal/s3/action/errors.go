package action

// MethodNotAllowedError is a request whose resource and sub-resource S3
// serves, but not with its method (S3's MethodNotAllowed).
type MethodNotAllowedError struct {
	Method      string
	Level       string // service, bucket or object
	SubResource string // "" for none
}

func (e *MethodNotAllowedError) Error() string {
	return "s3 action: method " + quote(e.Method) + " is not allowed on this " + e.Level + " resource" + subText(e.SubResource)
}

// NotImplementedError is a request this map does not serve: a method S3
// does not use, a sub-resource it does not map, or two sub-resources at once
// (S3's NotImplemented).
type NotImplementedError struct {
	Method      string
	Level       string
	SubResource string
	Reason      string
}

func (e *NotImplementedError) Error() string {
	return "s3 action: " + quote(e.Method) + " on " + e.Level + subText(e.SubResource) + " is not implemented: " + e.Reason
}

// InvalidArgumentError is a malformed request parameter (S3's
// InvalidArgument). Name is the header or parameter; its value is not kept.
type InvalidArgumentError struct {
	Name   string
	Reason string
}

func (e *InvalidArgumentError) Error() string {
	return "s3 action: invalid " + e.Name + ": " + e.Reason
}

func subText(sub string) string {
	if sub == "" {
		return ""
	}
	return " (?" + quote(sub) + ")"
}

// quote keeps error text printable and short whatever the client sent.
func quote(s string) string {
	const limit = 64
	long := len(s) > limit
	if long {
		s = s[:limit]
	}
	b := make([]byte, 0, len(s)+3)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f {
			c = '?'
		}
		b = append(b, c)
	}
	if long {
		b = append(b, "..."...)
	}
	return string(b)
}
