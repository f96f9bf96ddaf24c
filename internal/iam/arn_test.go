package iam

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestARNBuilders(t *testing.T) {
	tests := []struct{ got, want string }{
		{UserARN("123456789012", "/", "alice"), "arn:aws:iam::123456789012:user/alice"},
		{UserARN("123456789012", "/eng/dev/", "alice"), "arn:aws:iam::123456789012:user/eng/dev/alice"},
		{UserARN("123456789012", "", "alice"), "arn:aws:iam::123456789012:user/alice"},
		{GroupARN("123456789012", "/", "devs"), "arn:aws:iam::123456789012:group/devs"},
		{RoleARN("123456789012", "/service-role/", "ci"), "arn:aws:iam::123456789012:role/service-role/ci"},
		{PolicyARN(AWSAccount, "/", "ReadOnlyAccess"), "arn:aws:iam::aws:policy/ReadOnlyAccess"},
		{MFASerial("123456789012", "/", "phone"), "arn:aws:iam::123456789012:mfa/phone"},
		{RootARN("123456789012"), "arn:aws:iam::123456789012:root"},
		{AssumedRoleARN("123456789012", "ci", "build-42"), "arn:aws:sts::123456789012:assumed-role/ci/build-42"},
		{FederatedUserARN("123456789012", "bob"), "arn:aws:sts::123456789012:federated-user/bob"},
		{User{Account: "123456789012", Path: "/x/", Name: "u"}.ARN(), "arn:aws:iam::123456789012:user/x/u"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %s, want %s", tt.got, tt.want)
		}
	}
}

func TestParseEntityARN(t *testing.T) {
	tests := []struct {
		in   string
		want EntityRef
		bad  bool
	}{
		{in: "arn:aws:iam::123456789012:user/alice", want: EntityRef{Account: "123456789012", Type: "user", Path: "/", Name: "alice"}},
		{in: "arn:aws:iam::123456789012:user/eng/dev/alice", want: EntityRef{Account: "123456789012", Type: "user", Path: "/eng/dev/", Name: "alice"}},
		{in: "arn:aws:iam::aws:policy/service-role/AWSConfigRole", want: EntityRef{Account: "aws", Type: "policy", Path: "/service-role/", Name: "AWSConfigRole"}},
		{in: "arn:aws:iam::123456789012:role/ci", want: EntityRef{Account: "123456789012", Type: "role", Path: "/", Name: "ci"}},
		{in: "arn:aws:iam::123456789012:group/devs", want: EntityRef{Account: "123456789012", Type: "group", Path: "/", Name: "devs"}},
		{in: "arn:aws:iam::123456789012:mfa/phone", want: EntityRef{Account: "123456789012", Type: "mfa", Path: "/", Name: "phone"}},
		{in: "arn:aws:iam::123456789012:root", want: EntityRef{Account: "123456789012", Type: "root", Path: "/"}},
		{in: "arn:aws:sts::123456789012:assumed-role/ci/build-42", want: EntityRef{Account: "123456789012", Type: "assumed-role", Path: "/", Name: "ci", Session: "build-42"}},
		{in: "arn:aws:sts::123456789012:federated-user/bob", want: EntityRef{Account: "123456789012", Type: "federated-user", Path: "/", Name: "bob"}},
		{in: "arn:aws:iam::123456789012:user/", bad: true},
		{in: "arn:aws:iam::123456789012:user/eng/", bad: true},
		{in: "arn:aws:iam::123456789012:bucket/x", bad: true},
		{in: "arn:aws:iam:us-east-1:123456789012:user/x", bad: true},
		{in: "arn:aws:iam:::user/x", bad: true},
		{in: "arn:aws:s3:::bucket", bad: true},
		{in: "arn:aws:sts::123456789012:assumed-role/ci", bad: true},
		{in: "arn:aws:sts::123456789012:assumed-role/ci/a/b", bad: true},
		{in: "arn:aws:sts::123456789012:federated-user/", bad: true},
		{in: "not-an-arn", bad: true},
		{in: "", bad: true},
	}
	for _, tt := range tests {
		got, err := ParseEntityARN(tt.in)
		if tt.bad {
			var ae *ARNError
			if !errors.As(err, &ae) {
				t.Errorf("ParseEntityARN(%q) = %+v, %v; want *ARNError", tt.in, got, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseEntityARN(%q): %v", tt.in, err)
			continue
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("ParseEntityARN(%q) (-want +got):\n%s", tt.in, d)
		}
	}
}

func TestParseARNRoundTrip(t *testing.T) {
	for _, s := range []string{
		"arn:aws:s3:::bucket/key:with:colons",
		"arn:aws:iam::123456789012:user/a",
		"arn:aws-cn:ec2:cn-north-1:123456789012:instance/i-1",
	} {
		a, err := ParseARN(s)
		if err != nil {
			t.Fatalf("ParseARN(%q): %v", s, err)
		}
		if a.String() != s {
			t.Errorf("round trip: got %q, want %q", a.String(), s)
		}
	}
}

// FuzzParseEntityARN: parsing never panics, and whatever parses as an IAM
// entity rebuilds to the same ARN.
func FuzzParseEntityARN(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		ref, err := ParseEntityARN(s)
		if err != nil {
			return
		}
		var rebuilt string
		switch ref.Type {
		case ResourceUser:
			rebuilt = UserARN(ref.Account, ref.Path, ref.Name)
		case ResourceGroup:
			rebuilt = GroupARN(ref.Account, ref.Path, ref.Name)
		case ResourceRole:
			rebuilt = RoleARN(ref.Account, ref.Path, ref.Name)
		case ResourcePolicy:
			rebuilt = PolicyARN(ref.Account, ref.Path, ref.Name)
		case ResourceMFA:
			rebuilt = MFASerial(ref.Account, ref.Path, ref.Name)
		case ResourceRoot:
			rebuilt = RootARN(ref.Account)
		case ResourceAssumedRole:
			rebuilt = AssumedRoleARN(ref.Account, ref.Name, ref.Session)
		case ResourceFederatedUser:
			rebuilt = FederatedUserARN(ref.Account, ref.Name)
		default:
			t.Fatalf("unknown type %q", ref.Type)
		}
		// The partition is not kept in EntityRef; compare past it.
		_, tail, _ := strings.Cut(strings.TrimPrefix(s, "arn:"), ":")
		_, rtail, _ := strings.Cut(strings.TrimPrefix(rebuilt, "arn:"), ":")
		if tail != rtail {
			t.Errorf("ParseEntityARN(%q) = %+v rebuilds to %q", s, ref, rebuilt)
		}
	})
}

func TestNewID(t *testing.T) {
	id, err := NewID(PrefixUser, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(id) != 21 || !strings.HasPrefix(id, "AIDA") {
		t.Errorf("NewID = %q, want AIDA + 17 characters", id)
	}
	for _, c := range id {
		if !strings.ContainsRune(idAlphabet, c) {
			t.Errorf("NewID = %q has %q outside [A-Z0-9]", id, c)
		}
	}
	// Deterministic with a fixed reader; bytes >= 252 are skipped.
	r := bytes.NewReader(append(bytes.Repeat([]byte{255}, 5), bytes.Repeat([]byte{0, 1, 35, 36}, 20)...))
	got, err := NewID(PrefixRole, r)
	if err != nil {
		t.Fatal(err)
	}
	if want := "AROAAB9AAB9AAB9AAB9AA"; got != want {
		t.Errorf("NewID with fixed reader = %q, want %q", got, want)
	}
	if _, err := NewID(PrefixRole, bytes.NewReader(nil)); err == nil {
		t.Errorf("NewID with empty reader: got nil error")
	}
	seen := map[string]bool{}
	for range 1000 {
		id, _ := NewID(PrefixGroup, nil)
		if seen[id] {
			t.Fatalf("duplicate id %s", id)
		}
		seen[id] = true
	}
}

func TestARNAccount(t *testing.T) {
	for arn, want := range map[string]string{
		"arn:aws:iam::123456789012:role/deploy": "123456789012", "arn:aws:iam::123456789012:": "123456789012",
		"arn:aws:iam::123456789012": "", "arn:aws:s3:::bucket": "", "a:b:c:d:e:f:g": "e", "": "", "::::::": "",
	} {
		if got := ARNAccount(arn); got != want {
			t.Errorf("ARNAccount(%q) = %q, want %q", arn, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { ARNAccount("arn:aws:iam::123456789012:role/deploy") }); n != 0 {
		t.Errorf("ARNAccount allocates %v times, want 0", n)
	}
}

// ARNAccount agrees with splitting on the first five colons.
func FuzzARNAccount(f *testing.F) {
	f.Add("arn:aws:iam::123456789012:role/deploy")
	f.Add("a:b:c:d:e")
	f.Fuzz(func(t *testing.T, s string) {
		for _, arn := range []string{s, "arn:aws:iam::" + s} {
			want := ""
			if parts := strings.SplitN(arn, ":", 6); len(parts) == 6 {
				want = parts[4]
			}
			if got := ARNAccount(arn); got != want {
				t.Fatalf("ARNAccount(%q) = %q, want %q", arn, got, want)
			}
		}
	})
}
