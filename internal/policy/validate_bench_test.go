package policy

import "testing"

// benchPolicy is a realistic customer policy: several statements, lists of
// actions and resources, policy variables and conditions.
const benchPolicy = `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Sid": "ListOwnPrefix",
      "Effect": "Allow",
      "Action": ["s3:ListBucket", "s3:ListBucketVersions"],
      "Resource": "arn:aws:s3:::example-data",
      "Condition": {"StringLike": {"s3:prefix": ["home/${aws:username}/*", "shared/*"]}}
    },
    {
      "Sid": "ReadWriteOwnObjects",
      "Effect": "Allow",
      "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:GetObjectTagging", "s3:PutObjectTagging"],
      "Resource": ["arn:aws:s3:::example-data/home/${aws:username}/*", "arn:aws:s3:::example-data/shared/*"]
    },
    {
      "Sid": "DynamoTable",
      "Effect": "Allow",
      "Action": ["dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:BatchGet*"],
      "Resource": "arn:aws:dynamodb:eu-west-1:123456789012:table/Orders",
      "Condition": {
        "ForAllValues:StringEquals": {"dynamodb:LeadingKeys": ["${aws:PrincipalTag/tenant}"]},
        "Bool": {"aws:SecureTransport": true}
      }
    },
    {
      "Sid": "DenyOutsideOfficeHours",
      "Effect": "Deny",
      "NotAction": ["iam:Get*", "iam:List*", "sts:GetCallerIdentity"],
      "Resource": "*",
      "Condition": {
        "DateGreaterThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"},
        "NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"]}
      }
    }
  ]
}`

func BenchmarkParseAndValidate(b *testing.B) {
	data := []byte(benchPolicy)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseAndValidate(data, TypeIdentity); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSize(b *testing.B) {
	data := []byte(benchPolicy)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		Size(data)
	}
}

// BenchmarkParseAndValidateManaged runs over a large AWS managed policy
// (ReadOnlyAccess, several thousand actions).
func BenchmarkParseAndValidateManaged(b *testing.B) {
	_, docs := managedPolicies(b)
	data, ok := docs["ReadOnlyAccess"]
	if !ok {
		b.Skip("ReadOnlyAccess not in the corpus")
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseAndValidate(data, TypeIdentity); err != nil {
			b.Fatal(err)
		}
	}
}
