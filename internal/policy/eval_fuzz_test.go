package policy

import "testing"

// FuzzEval evaluates arbitrary identity and resource policies against an
// arbitrary request; the bits of flags make the resource policy a trust
// policy and add the identity document again as a permissions boundary and
// as a session policy. It checks that evaluation never panics and that the
// decision is consistent with the statements it reports: an allow has no
// matching Deny, an explicit deny has one, and the same request always gets
// the same answer. Seeds are in testdata/fuzz/FuzzEval.
func FuzzEval(f *testing.F) {
	f.Add([]byte(allowS3All), []byte(resourcePolicy(`"*"`)), "arn:aws:iam::111122223333:user/alice", "s3:GetObject", "arn:aws:s3:::bucket/key", "aws:SourceIp", "203.0.113.1", byte(0))
	f.Add([]byte(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*","Condition":{"ForAnyValue:StringLike":{"aws:TagKeys":"a*"}}}}`),
		[]byte(`{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotPrincipal":{"AWS":"111122223333"},"Action":"s3:*","Resource":"*"}}`),
		"arn:aws:sts::111122223333:assumed-role/r/s", "s3:PutObject", "arn:aws:s3:::b/alice/k", "aws:TagKeys", "abc", byte(7))
	f.Fuzz(func(t *testing.T, identity, resource []byte, principal, action, res, key, value string, flags byte) {
		var policies []*Compiled
		if doc, err := Parse(identity); err == nil {
			for _, typ := range []Type{TypeIdentity, TypeBoundary, TypeSession} {
				if typ == TypeBoundary && flags&2 == 0 || typ == TypeSession && flags&4 == 0 {
					continue
				}
				if c, err := Compile(doc, typ, typ.String()); err == nil {
					policies = append(policies, c)
				}
			}
		}
		var rp *Compiled
		if doc, err := Parse(resource); err == nil {
			typ := TypeResource
			if flags&1 != 0 {
				typ = TypeTrust
			}
			if c, err := Compile(doc, typ, "resource"); err == nil {
				rp = c
			}
		}
		set, err := NewSet(policies...)
		if err != nil {
			t.Fatal(err)
		}
		req := &Request{Caller: CallerFromARN(principal), Action: action, Resource: res, ResourceAccount: "111122223333"}
		req.Context.Add(key, value)
		req.Context.Add("aws:username", "alice")
		d := set.Evaluate(req, rp)
		hasDeny := false
		for _, m := range d.Matched {
			if m.Effect == Deny {
				hasDeny = true
			}
		}
		switch d.Outcome {
		case Allowed, ImplicitlyDenied:
			if hasDeny {
				t.Fatalf("%v with a matching Deny: %+v", d.Outcome, d)
			}
		case ExplicitlyDenied:
			if !hasDeny {
				t.Fatalf("ExplicitlyDenied without a matching Deny: %+v", d)
			}
		default:
			t.Fatalf("invalid outcome %d", d.Outcome)
		}
		if d.Reason == "" {
			t.Fatal("decision without a reason")
		}
		again := set.Evaluate(req, rp)
		if again.Outcome != d.Outcome || len(again.Matched) != len(d.Matched) {
			t.Fatalf("second evaluation differs: %+v then %+v", d, again)
		}
	})
}
