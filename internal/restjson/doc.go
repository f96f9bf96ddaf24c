// Package restjson is the codec of AWS's REST-JSON protocol, the one IAM
// Roles Anywhere and AWS IoT speak (`aws rolesanywhere ...`, `aws iot
// ...`, their SDK clients): an action is named by its HTTP method and path
// template, its input comes from path segments, the query string and a
// JSON body, its output is a JSON body with the action's success status,
// and an error is the x-amzn-ErrorType header with a {"message": ...} body.
// It also speaks AWS's JSON 1.1 protocol (Cognito Identity's): a POST to /
// whose X-Amz-Target names the action (PREFIX.Action, RegisterTarget),
// the JSON body its input, the responses application/x-amz-json-1.1 and
// the errors' bodies {"__type", "message"}; a signature must cover the
// target.
//
// It owns that wire format and nothing else. Every request goes through
// the one request.Pipeline (authenticate, authorize, act, commit, audit);
// a service registers its actions with typed inputs and outputs
// (Register, from the service package's register.go, as sts does with
// awsquery), and maps its typed domain errors to wire errors with an
// ErrorMapper; the rest of a domain package knows nothing of it.
package restjson
