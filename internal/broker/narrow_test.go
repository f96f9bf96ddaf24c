package broker

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/brevet-dev/brevet/internal/policy"
	"github.com/brevet-dev/brevet/internal/sts"
)

// doc builds a policy document of the given statements (JSON objects).
func doc(stmts ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

func allow(actions, resources string, extra ...string) string {
	s := `{"Effect":"Allow","Action":` + actions + `,"Resource":` + resources
	for _, e := range extra {
		s += "," + e
	}
	return s + "}"
}

func TestNarrower(t *testing.T) {
	ceiling := doc(
		allow(`["s3:Get*","s3:List*"]`, `["arn:aws:s3:::data/*","arn:aws:s3:::data"]`),
		allow(`"ec2:Describe*"`, `"*"`, `"Condition":{"StringEquals":{"aws:RequestedRegion":["eu-west-1","eu-west-3"]}}`),
		`{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::data/secret/*"}`,
	)
	tests := []struct {
		name, policy string
		want         string // "" when provably narrower, else a part of the reason
	}{
		{"same actions and resources", doc(allow(`"s3:GetObject"`, `"arn:aws:s3:::data/x"`)), ""},
		{"glob within glob", doc(allow(`"s3:GetObject*"`, `"arn:aws:s3:::data/reports/*"`)), ""},
		{"actions without case", doc(allow(`"S3:getobject"`, `"arn:aws:s3:::data/x"`)), ""},
		{"? within *", doc(allow(`"s3:Get?bject"`, `"arn:aws:s3:::data/a?c"`)), ""},
		{"one statement each", doc(allow(`"s3:ListBucket"`, `"arn:aws:s3:::data"`),
			allow(`"ec2:DescribeInstances"`, `"*"`, `"Condition":{"StringEquals":{"aws:RequestedRegion":["eu-west-3","eu-west-1"]},"Bool":{"aws:SecureTransport":"true"}}`)), ""},
		{"a deny only narrows", doc(allow(`"s3:GetObject"`, `"arn:aws:s3:::data/x"`), `{"Effect":"Deny","Action":"*","Resource":"*"}`), ""},
		{"wider action", doc(allow(`"s3:*"`, `"arn:aws:s3:::data/x"`)), "action s3:*"},
		{"other service", doc(allow(`"iam:GetUser"`, `"*"`)), "action iam:GetUser"},
		{"wider resource", doc(allow(`"s3:GetObject"`, `"arn:aws:s3:::*"`)), "resource arn:aws:s3:::*"},
		{"resources with case", doc(allow(`"s3:GetObject"`, `"arn:aws:s3:::DATA/x"`)), "resource arn:aws:s3:::DATA/x"},
		{"* is not within ?", doc(allow(`"s3:GetObject"`, `"arn:aws:s3:::data*"`)), "resource"},
		{"condition missing", doc(allow(`"ec2:DescribeInstances"`, `"*"`)), "condition StringEquals on aws:RequestedRegion"},
		{"condition differs", doc(allow(`"ec2:DescribeInstances"`, `"*"`, `"Condition":{"StringEquals":{"aws:RequestedRegion":"us-east-1"}}`)), "condition"},
		{"NotAction", doc(`{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}`), "NotAction"},
		{"NotResource", doc(`{"Effect":"Allow","Action":"s3:GetObject","NotResource":"arn:aws:s3:::x"}`), "NotResource"},
		{"mixed: second statement wider", doc(allow(`"s3:GetObject"`, `"arn:aws:s3:::data/x"`), `{"Sid":"Wide","Effect":"Allow","Action":"s3:PutObject","Resource":"*"}`), "statement 2 (Wide)"},
		{"variable in policy is any text", doc(allow(`"s3:GetObject"`, `"arn:aws:s3:::${aws:username}/x"`)), "resource"},
		{"variable within *", doc(allow(`"s3:GetObject"`, `"arn:aws:s3:::data/${aws:username}/*"`)), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Narrower(tt.policy, ceiling)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Narrower = %v, want nil", err)
				}
				return
			}
			var ne *NarrowError
			if !errors.As(err, &ne) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Narrower = %v, want a NarrowError mentioning %q", err, tt.want)
			}
			if w := WireError(err); w == nil || w.Code.Name != "AccessDenied" ||
				!strings.HasPrefix(w.Message, "The session policy grants more than the brokered role allows: ") {
				t.Fatalf("WireError = %v, want AccessDenied", w)
			}
		})
	}
}

func TestNarrowerVariablesInCeiling(t *testing.T) {
	c := doc(allow(`"s3:*"`, `"arn:aws:s3:::home/${aws:username}/*"`))
	if err := Narrower(doc(allow(`"s3:GetObject"`, `"arn:aws:s3:::home/${aws:username}/*"`)), c); err != nil {
		t.Fatalf("the same variable pattern: %v, want nil", err)
	}
	if err := Narrower(doc(allow(`"s3:GetObject"`, `"arn:aws:s3:::home/alice/*"`)), c); err == nil {
		t.Fatal("a literal under a variable pattern: nil, want an error (the variable may be anyone)")
	}
	old := `{"Version":"2008-10-17","Statement":[` + allow(`"s3:GetObject"`, `"arn:aws:s3:::home/${aws:username}/*"`) + `]}`
	if err := Narrower(old, c); err == nil {
		t.Fatal("a 2008 policy's literal ${...} under a 2012 variable: nil, want an error")
	}
}

func TestGlobWithin(t *testing.T) {
	tests := []struct {
		p, q string
		want bool
	}{
		{"abc", "abc", true}, {"abc", "a*", true}, {"a*", "a*", true}, {"a*", "*", true}, {"*", "a*", false},
		{"a?c", "a*c", true}, {"a*c", "a?c", false}, {"a?c", "a?c", true}, {"abc", "a?c", true}, {"ab", "a?c", false},
		{"a**", "a*", true}, {"a*b*c", "a*c", true}, {"a*c", "a*b*c", false}, {"", "*", true}, {"", "", true}, {"x", "", false},
		{"?", "*", true}, {"*", "?", false}, {"ab*", "*b*", true},
	}
	for _, tt := range tests {
		if got := globWithin([]byte(tt.p), []byte(tt.q)); got != tt.want {
			t.Errorf("globWithin(%q, %q) = %v, want %v", tt.p, tt.q, got, tt.want)
		}
	}
}

func TestNarrow(t *testing.T) {
	c := doc(allow(`"s3:*"`, `"*"`), `{"Sid":"NoSecrets","Effect":"Deny","Action":"s3:*","Resource":"arn:aws:s3:::secret/*"}`)
	got, err := Narrow(doc(`{"Sid":"NoSecrets","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}`), c)
	if err != nil {
		t.Fatal(err)
	}
	d, err := policy.ParseAndValidate([]byte(got), policy.TypeSession)
	if err != nil {
		t.Fatalf("Narrow's policy %s: %v", got, err)
	}
	if len(d.Statements) != 2 || d.Statements[1].Effect != policy.Deny || d.Statements[1].Sid != "" {
		t.Fatalf("Narrow = %s, want the caller's statement and the ceiling's Deny without its Sid", got)
	}
	if _, err := Narrow(doc(allow(`"iam:*"`, `"*"`)), c); err == nil {
		t.Fatal("Narrow of a wider policy: nil error")
	}
}

// allowedBy reports whether doc, as an identity policy, allows action on
// resource for user alice.
func allowedBy(t *testing.T, d *policy.Document, action, resource string) bool {
	cp, err := policy.Compile(d, policy.TypeIdentity, "p")
	if err != nil {
		t.Skip()
	}
	set, err := policy.NewSet(cp)
	if err != nil {
		t.Fatal(err)
	}
	req := &policy.Request{Caller: policy.CallerFromARN("arn:aws:iam::111122223333:user/alice"), Action: action, Resource: resource}
	req.Context.Add("aws:username", "alice")
	req.Context.Add("aws:RequestedRegion", "eu-west-1")
	return set.Evaluate(req, nil).Outcome == policy.Allowed
}

// instances are concrete strings a pattern matches: its wildcards filled
// with fill (or nothing) and one character.
func instances(pattern, fill string) []string {
	out := []string{pattern}
	for _, f := range []string{"", fill, "x", "alice"} {
		r := strings.NewReplacer("*", f, "?", "x", "${aws:username}", "alice")
		out = append(out, r.Replace(pattern))
	}
	return out
}

// FuzzNarrower checks that Narrower is sound: when it accepts a policy
// under a ceiling, the policy engine never allows, under the policy plus
// the ceiling's Deny statements (what the broker passes upstream), an
// action on a resource that the ceiling does not allow. The patterns come
// from the fuzzer; the concrete requests are drawn from both sides'
// patterns. Seeds are in testdata/fuzz/FuzzNarrower.
func FuzzNarrower(f *testing.F) {
	f.Add("s3:Get*", "arn:aws:s3:::b/*", "s3:*", "arn:aws:s3:::b*", "s3:GetObject", "arn:aws:s3:::b/k", "abc", true, false)
	f.Add("s3:?et*", "arn:aws:s3:::b/a?c", "s3:G*", "arn:aws:s3:::b/*", "s3:PutObject", "arn:aws:s3:::b/abc", "z", false, true)
	f.Add("*", "*", "*", "*", "iam:GetUser", "*", "", true, true)
	f.Add("s3:GetObject", "arn:aws:s3:::b/${aws:username}/*", "s3:GetObject", "arn:aws:s3:::b/*", "s3:GetObject", "arn:aws:s3:::b/bob/x", "q", true, false)
	f.Add("s3:GetObject", "arn:aws:s3:::*:111111111111:*", "s3:GetObject", "arn:aws:*:*:111111111111:*", "s3:GetObject", "arn:aws:s3:::b/a:111111111111:b", "a:111111111111:b", false, false)
	f.Fuzz(func(t *testing.T, pa, pr, ca, cr, action, resource, fill string, cond, deny bool) {
		js := func(s string) string { b, _ := json.Marshal(s); return string(b) }
		pStmt := allow(js(pa), js(pr))
		if cond {
			pStmt = allow(js(pa), js(pr), `"Condition":{"StringEquals":{"aws:RequestedRegion":"eu-west-1"}}`)
		}
		cStmts := []string{allow(js(ca), js(cr))}
		if deny {
			cStmts = append(cStmts, `{"Effect":"Deny","Action":`+js(pa)+`,"Resource":"arn:aws:s3:::b/secret*"}`)
		}
		pol, ceiling := doc(pStmt), doc(cStmts...)
		cd, err := policy.Parse([]byte(ceiling))
		if err != nil {
			return
		}
		passed, err := Narrow(pol, ceiling)
		if err != nil {
			return
		}
		pd, err := policy.Parse([]byte(passed))
		if err != nil {
			t.Fatalf("Narrow's output does not parse: %v\n%s", err, passed)
		}
		actions := append(append([]string{action}, instances(pa, fill)...), instances(ca, fill)...)
		resources := append(append([]string{resource}, instances(pr, fill)...), instances(cr, fill)...)
		for _, a := range actions {
			for _, r := range resources {
				if allowedBy(t, pd, a, r) && !allowedBy(t, cd, a, r) {
					t.Fatalf("Narrower accepted %s under %s, but it allows %s on %s and the ceiling does not", pol, ceiling, a, r)
				}
			}
		}
	})
}

func TestSessionPolicy(t *testing.T) {
	s := &Service{}
	ceiling := doc(allow(`"s3:Get*"`, `"*"`), `{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::secret/*"}`)
	narrow := doc(allow(`"s3:GetObject"`, `"arn:aws:s3:::data/*"`))
	tests := []struct {
		name, ceiling, policy string
		arns                  []string
		want, denied          string
	}{
		{"no ceiling: the caller's", "", narrow, []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}, narrow, ""},
		{"no policy: the ceiling", ceiling, "", nil, ceiling, ""},
		{"policy ARNs under a ceiling", ceiling, "", []string{"arn:aws:iam::aws:policy/ReadOnlyAccess"}, "", "policy ARNs cannot be proven narrower"},
		{"wider", ceiling, doc(allow(`"s3:*"`, `"*"`)), nil, "", "action s3:*"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.SessionPolicy(&sts.BrokeredRole{SessionPolicy: tt.ceiling}, tt.policy, tt.arns)
			if tt.denied != "" {
				var ad *sts.AccessDeniedError
				if !errors.As(err, &ad) || !strings.HasPrefix(ad.Message, "The session policy grants more than the brokered role allows: ") ||
					!strings.Contains(ad.Message, tt.denied) {
					t.Fatalf("SessionPolicy = %v, want AccessDenied mentioning %q", err, tt.denied)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("SessionPolicy = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	got, err := s.SessionPolicy(&sts.BrokeredRole{SessionPolicy: ceiling}, narrow, nil)
	if err != nil || !strings.Contains(got, `"Deny"`) || !strings.Contains(got, "arn:aws:s3:::data/*") {
		t.Fatalf("SessionPolicy of a narrower policy = %s, %v; want its statements and the ceiling's Deny", got, err)
	}
}

// TestNarrowerARNComponents: AWS (and Brevet's engine) match a resource
// ARN component by component, so a wildcard in a component of the ceiling
// never spans a colon; containment of the flat text is not enough.
func TestNarrowerARNComponents(t *testing.T) {
	ceiling := doc(allow(`"s3:GetObject"`, `"arn:aws:*:*:111111111111:*"`))
	tests := []struct {
		name, resource string
		want           bool // provably narrower
	}{
		{"same components", "arn:aws:sqs:eu-west-1:111111111111:q", true},
		{"wildcards within components", "arn:aws:s*:*:111111111111:q*", true},
		{"account digits in the resource component", "arn:aws:s3:::*:111111111111:*", false},
		{"star spanning components", "arn:aws:*:111111111111:*", false},
		{"not an ARN", "x:111111111111:y", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pol := doc(allow(`"s3:GetObject"`, `"`+tt.resource+`"`))
			err := Narrower(pol, ceiling)
			if got := err == nil; got != tt.want {
				t.Fatalf("Narrower(%s) = %v, want narrower %v", tt.resource, err, tt.want)
			}
			if err != nil {
				return
			}
			// Whatever is accepted, the engine agrees on a sample.
			pd, _ := policy.Parse([]byte(pol))
			cd, _ := policy.Parse([]byte(ceiling))
			for _, r := range instances(tt.resource, "a:111111111111:b") {
				if allowedBy(t, pd, "s3:GetObject", r) && !allowedBy(t, cd, "s3:GetObject", r) {
					t.Fatalf("accepted, but the policy allows %s and the ceiling does not", r)
				}
			}
		})
	}
	// The engine's view of the hole: the policy allows an object whose key
	// holds the account's digits; the ceiling does not.
	pd, _ := policy.Parse([]byte(doc(allow(`"s3:GetObject"`, `"arn:aws:s3:::*:111111111111:*"`))))
	cd, _ := policy.Parse([]byte(ceiling))
	r := "arn:aws:s3:::bucket/a:111111111111:b"
	if !allowedBy(t, pd, "s3:GetObject", r) || allowedBy(t, cd, "s3:GetObject", r) {
		t.Fatalf("the engine: policy allows %v, ceiling allows %v; want true, false", allowedBy(t, pd, "s3:GetObject", r), allowedBy(t, cd, "s3:GetObject", r))
	}
}
