package audit_test

import (
	"encoding/json"
	"fmt"

	"github.com/brevet-dev/brevet/internal/audit"
)

// An AssumeRole call by a role session, as it is stored (docs/audit.md
// shows this output).
func ExampleConverter_Convert() {
	rec := assumeRoleRecord(1, "ASIAEXAMPLEISSUED001")
	rec.Principal = rolePrincipal("ASIAEXAMPLECALLER001")
	conv := audit.Converter{Region: "us-east-1", NewID: func() string { return "3f0c8a52-4d1e-4b8e-9a51-2c7d0e6f1a90" }}
	e := conv.Convert(rec, &audit.TLSDetails{TLSVersion: "TLSv1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", ClientProvidedHostHeader: "sts.example.internal"})
	b, _ := json.MarshalIndent(e, "", "  ")
	fmt.Println(string(b))
	// Output:
	// {
	//   "eventVersion": "1.11",
	//   "userIdentity": {
	//     "type": "AssumedRole",
	//     "principalId": "AROAEXAMPLEDEPLOY:ci",
	//     "arn": "arn:aws:sts::123456789012:assumed-role/deploy/ci",
	//     "accountId": "123456789012",
	//     "accessKeyId": "ASIAEXAMPLECALLER001",
	//     "sessionContext": {
	//       "sessionIssuer": {
	//         "type": "Role",
	//         "principalId": "AROAEXAMPLEDEPLOY",
	//         "arn": "arn:aws:iam::123456789012:role/deploy",
	//         "accountId": "123456789012",
	//         "userName": "deploy"
	//       },
	//       "attributes": {
	//         "creationDate": "2026-11-22T08:00:00Z",
	//         "mfaAuthenticated": "true"
	//       },
	//       "sourceIdentity": "alice"
	//     }
	//   },
	//   "eventTime": "2026-11-22T08:00:01Z",
	//   "eventSource": "sts.amazonaws.com",
	//   "eventName": "AssumeRole",
	//   "awsRegion": "us-east-1",
	//   "sourceIPAddress": "192.0.2.10",
	//   "userAgent": "aws-cli/2.0",
	//   "requestParameters": {
	//     "roleArn": "arn:aws:iam::123456789012:role/deploy",
	//     "roleSessionName": "ci"
	//   },
	//   "responseElements": {
	//     "assumedRoleUser": {
	//       "arn": "arn:aws:sts::123456789012:assumed-role/deploy/ci",
	//       "assumedRoleId": "AROAEXAMPLEDEPLOY:ci"
	//     },
	//     "credentials": {
	//       "accessKeyId": "ASIAEXAMPLEISSUED001",
	//       "expiration": "2026-11-22T09:00:00Z",
	//       "secretAccessKey": "HIDDEN_DUE_TO_SECURITY_REASONS",
	//       "sessionToken": "HIDDEN_DUE_TO_SECURITY_REASONS"
	//     }
	//   },
	//   "requestID": "req-0001",
	//   "eventID": "3f0c8a52-4d1e-4b8e-9a51-2c7d0e6f1a90",
	//   "readOnly": false,
	//   "resources": [
	//     {
	//       "ARN": "arn:aws:iam::123456789012:role/deploy",
	//       "accountId": "123456789012",
	//       "type": "AWS::IAM::Role"
	//     },
	//     {
	//       "ARN": "ASIAEXAMPLEISSUED001",
	//       "accountId": "123456789012",
	//       "type": "AWS::IAM::AccessKey"
	//     }
	//   ],
	//   "eventType": "AwsApiCall",
	//   "managementEvent": true,
	//   "recipientAccountId": "123456789012",
	//   "eventCategory": "Management",
	//   "tlsDetails": {
	//     "tlsVersion": "TLSv1.3",
	//     "cipherSuite": "TLS_AES_128_GCM_SHA256",
	//     "clientProvidedHostHeader": "sts.example.internal"
	//   }
	// }
}
