package bucketpolicy_test

import (
	"testing"

	"github.com/brevet-dev/brevet/internal/policy"
	"github.com/brevet-dev/brevet/internal/s3/bucketpolicy"
)

// TestPublic: S3's meaning of a public bucket policy.
func TestPublic(t *testing.T) {
	const obj = `"arn:aws:s3:::b/*"`
	get := `"s3:GetObject"`
	allStar := func(cond string) string {
		return pol(stmt("Allow", `"*"`, get, obj, `"Condition":`+cond))
	}
	tests := []struct {
		name string
		doc  string
		want bool
	}{
		{"Principal *", pol(stmt("Allow", `"*"`, get, obj)), true},
		{"AWS *", pol(stmt("Allow", `{"AWS":"*"}`, get, obj)), true},
		{"AWS * among others", pol(stmt("Allow", `{"AWS":["arn:aws:iam::123456789012:root","*"]}`, get, obj)), true},
		{"Allow with NotPrincipal", `{"Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"s3:*","Resource":` + obj + `}]}`, true},
		{"an account", pol(stmt("Allow", `{"AWS":"123456789012"}`, get, obj)), false},
		{"a user and a service", pol(stmt("Allow", `{"AWS":"arn:aws:iam::123456789012:user/a","Service":"logging.s3.amazonaws.com"}`, get, obj)), false},
		{"Deny to everyone", pol(stmt("Deny", `"*"`, `"s3:*"`, obj)), false},
		{"Deny * and Allow an account", pol(stmt("Deny", `"*"`, `"s3:*"`, obj), stmt("Allow", `{"AWS":"123456789012"}`, get, obj)), false},
		{"one public statement among others", pol(stmt("Allow", `{"AWS":"123456789012"}`, get, obj), stmt("Allow", `"*"`, get, obj)), true},

		{"SourceIp /24", allStar(`{"IpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`), false},
		{"SourceIp address", allStar(`{"IpAddress":{"aws:SourceIp":["192.0.2.7","2001:db8::1"]}}`), false},
		{"SourceIp /8", allStar(`{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`), false},
		{"SourceIp /0", allStar(`{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}`), true},
		{"SourceIp /1", allStar(`{"IpAddress":{"aws:SourceIp":["0.0.0.0/1","128.0.0.0/1"]}}`), true},
		{"SourceIp IPv6 ::/0", allStar(`{"IpAddress":{"aws:SourceIp":"::/0"}}`), true},
		{"SourceIp IPv6 /48", allStar(`{"IpAddress":{"aws:SourceIp":"2001:db8:1::/48"}}`), false},
		{"SourceIp one narrow, one /0", allStar(`{"IpAddress":{"aws:SourceIp":["192.0.2.0/24","0.0.0.0/0"]}}`), true},
		{"NotIpAddress", allStar(`{"NotIpAddress":{"aws:SourceIp":"192.0.2.0/24"}}`), true},
		{"SourceIp with StringEquals", allStar(`{"StringEquals":{"aws:SourceIp":"192.0.2.7"}}`), true},
		{"SourceVpc fixed", allStar(`{"StringEquals":{"aws:SourceVpc":"vpc-91237329"}}`), false},
		{"SourceVpc wildcard", allStar(`{"StringLike":{"aws:SourceVpc":"vpc-*"}}`), true},
		{"SourceVpc ? wildcard", allStar(`{"StringLike":{"aws:SourceVpc":"vpc-9123732?"}}`), true},
		{"SourceVpce fixed, key in other case", allStar(`{"StringEquals":{"AWS:SOURCEVPCE":"vpce-1a2b3c4d"}}`), false},
		{"SourceArn fixed", allStar(`{"ArnEquals":{"aws:SourceArn":"arn:aws:cloudfront::123456789012:distribution/E1"}}`), false},
		{"SourceArn like, fixed", allStar(`{"ArnLike":{"aws:SourceArn":"arn:aws:cloudfront::123456789012:distribution/E1"}}`), false},
		{"SourceArn wildcard", allStar(`{"ArnLike":{"aws:SourceArn":"arn:aws:cloudfront::123456789012:distribution/*"}}`), true},
		{"SourceAccount", allStar(`{"StringEquals":{"aws:SourceAccount":"123456789012"}}`), false},
		{"SourceOwner", allStar(`{"StringEquals":{"aws:SourceOwner":"123456789012"}}`), false},
		{"PrincipalOrgID", allStar(`{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}`), false},
		{"PrincipalAccount", allStar(`{"StringEquals":{"aws:PrincipalAccount":"123456789012"}}`), false},
		{"PrincipalArn", allStar(`{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/r"}}`), false},
		{"userid fixed", allStar(`{"StringEquals":{"aws:userid":"AIDAEXAMPLE"}}`), false},
		{"userid role pattern", allStar(`{"StringLike":{"aws:userid":"AROAEXAMPLE:*"}}`), true},
		{"access point account", allStar(`{"StringEquals":{"s3:DataAccessPointAccount":"123456789012"}}`), false},
		{"access point, any name", allStar(`{"StringLike":{"s3:DataAccessPointArn":"arn:aws:s3:us-east-1:123456789012:accesspoint/*"}}`), false},
		{"access point, any account", allStar(`{"StringLike":{"s3:DataAccessPointArn":"arn:aws:s3:us-east-1:*:accesspoint/ap"}}`), true},
		{"KMS key id", allStar(`{"StringEquals":{"s3:x-amz-server-side-encryption-aws-kms-key-id":"arn:aws:kms:us-east-1:123456789012:key/k"}}`), false},
		{"policy variable", allStar(`{"StringEquals":{"aws:PrincipalAccount":"${aws:username}"}}`), true},
		{"IfExists", allStar(`{"StringEqualsIfExists":{"aws:SourceVpc":"vpc-91237329"}}`), true},
		{"ForAllValues", allStar(`{"ForAllValues:StringEquals":{"aws:SourceVpc":"vpc-91237329"}}`), true},
		{"ForAnyValue", allStar(`{"ForAnyValue:StringEquals":{"aws:SourceVpc":"vpc-91237329"}}`), false},
		{"StringNotEquals", allStar(`{"StringNotEquals":{"aws:SourceVpc":"vpc-91237329"}}`), true},
		{"a key that pins nothing", allStar(`{"Bool":{"aws:SecureTransport":"true"}}`), true},
		{"s3 prefix", allStar(`{"StringEquals":{"s3:prefix":"home/"}}`), true},
		{"one pinning key among others", allStar(`{"Bool":{"aws:SecureTransport":"true"},"StringEquals":{"aws:SourceVpce":"vpce-1"}}`), false},
		{"Null on a pinning key", allStar(`{"Null":{"aws:SourceVpc":"false"}}`), true},
	}
	for _, tt := range tests {
		doc, err := policy.Parse([]byte(tt.doc))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := bucketpolicy.Public(doc); got != tt.want {
			t.Errorf("%s: Public = %v, want %v", tt.name, got, tt.want)
		}
	}
}
