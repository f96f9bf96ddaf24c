package credential

import (
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// randomTags returns n incompressible tags of AWS's maximum sizes (key 128,
// value 256 characters).
func randomTags(n int) []Tag {
	rnd := testRand(40)
	tags := make([]Tag, n)
	for i := range tags {
		k := make([]byte, 80)
		v := make([]byte, 160)
		_, _ = rnd.Read(k)
		_, _ = rnd.Read(v)
		tags[i] = Tag{Key: base32.StdEncoding.EncodeToString(k)[:128], Value: base32.StdEncoding.EncodeToString(v)[:256]}
	}
	return tags
}

func typicalPolicy(statements int) string {
	var b strings.Builder
	b.WriteString(`{"Version":"2012-10-17","Statement":[`)
	for i := range statements {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"Sid":"S%d","Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":["arn:aws:s3:::bucket-%d","arn:aws:s3:::bucket-%d/*"]}`, i, i, i)
	}
	b.WriteString(`]}`)
	return b.String()
}

func TestPackedSize(t *testing.T) {
	arns := []string{"arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::123456789012:policy/team/Limits"}
	tags := []Tag{{Key: "Project", Value: "Brevet"}, {Key: "CostCenter", Value: "12345"}}
	tests := []struct {
		name       string
		policy     string
		arns       []string
		tags       []Tag
		minPercent int
		maxPercent int
		part       PackedPart // 0: fits
	}{
		{"nothing", "", nil, nil, 0, 0, 0},
		{"one tag", "", nil, tags[:1], 1, 1, 0},
		{"small policy and tags", typicalPolicy(1), nil, tags, 3, 12, 0},
		{"2048-char policy, 10 ARNs, 10 tags", typicalPolicy(20)[:2048], repeat(arns, 5), repeat(tags, 5), 10, 60, 0},
		{"50 random max-size tags", "", nil, randomTags(50), 101, 10000, PackedTags},
		{"policy with random tags", typicalPolicy(1), nil, randomTags(50), 101, 10000, PackedPolicies},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := PackedSize(tt.policy, tt.arns, tt.tags)
			if got < tt.minPercent || got > tt.maxPercent {
				t.Errorf("PackedSize = %d%%, want %d..%d%%", got, tt.minPercent, tt.maxPercent)
			}
			var pe *PackedPolicyTooLargeError
			if tt.part == 0 {
				if err != nil {
					t.Errorf("PackedSize: %v", err)
				}
				return
			}
			if !errors.As(err, &pe) || pe.Part != tt.part || pe.Percent != got {
				t.Fatalf("err = %#v, want *PackedPolicyTooLargeError{Part: %d, Percent: %d}", err, tt.part, got)
			}
		})
	}
}

func repeat[T any](s []T, n int) []T {
	var out []T
	for range n {
		out = append(out, s...)
	}
	return out
}

func TestPackedPolicyTooLargeMessages(t *testing.T) {
	tests := []struct {
		err  PackedPolicyTooLargeError
		want string
	}{
		{PackedPolicyTooLargeError{Part: PackedPolicies, Percent: 118}, "Packed policy consumes 118% of allotted space, please use smaller policy."},
		{PackedPolicyTooLargeError{Part: PackedTags, Percent: 138}, "Packed size of session tags consumes 138% of allotted space."},
		{PackedPolicyTooLargeError{Part: PackedToken}, "Serialized token too large for session"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestUnpackRejectsForgedCounts(t *testing.T) {
	for _, s := range []string{"", "\x00", "\x00\xff\xff\xff\xff\x0f", "\x00\x00\x05a", "\x01", "\x00\x00\x00extra"} {
		var c Claims
		if err := unpack(s, &c); err == nil {
			t.Errorf("unpack(%q) succeeded", s)
		}
	}
}

func TestPackCompressesOnlyLargePackings(t *testing.T) {
	tests := []struct {
		policy         string
		wantCompressed bool
	}{
		{typicalPolicy(1), false},
		{typicalPolicy(3), false}, // under compressAbove
		{typicalPolicy(10), true},
	}
	for _, tt := range tests {
		p, err := Pack(tt.policy, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if p.compressed != tt.wantCompressed {
			t.Errorf("Pack(%d-byte policy): compressed = %v, want %v", len(tt.policy), p.compressed, tt.wantCompressed)
		}
		var c Claims
		raw := string(p.data)
		if p.compressed {
			b, err := inflate(p.data)
			if err != nil {
				t.Fatal(err)
			}
			raw = string(b)
		}
		if err := unpack(raw, &c); err != nil || c.Policy != tt.policy {
			t.Errorf("unpack(Pack(policy)) = %q, %v; want the policy back", c.Policy, err)
		}
	}
}
