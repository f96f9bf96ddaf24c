// Package awsquery is the AWS Query protocol that STS and IAM speak: it
// decodes form-encoded requests into typed inputs, validates them against
// the service model's constraints, encodes outputs as XML and failures as
// <ErrorResponse>, and drives each request through the protocol-free
// request.Pipeline (authenticate, authorize, act, commit, audit).
//
// It is the only package that knows AWS wire error codes (the catalogue in
// errors.go and the generated errors_model.go). Domain packages return
// typed errors; ToWire maps them with errors.As. It does no domain work:
// what an action does lives in sts and iam, what a signature means in
// sigv4, what a policy allows in policy.
//
// # Shapes, values and generated types
//
// Decoding, validation and encoding are driven by a shape table (Shape),
// the same structure the conformance tests build from the public awsQuery
// protocol tests. The packages stsapi and iamapi are generated from the
// botocore models by internal/genquery (go generate): a Go struct per input
// and output shape, the shape table, and an Operation per action that
// converts between the structs and Values, and a constant per enum value
// (iamapi.StatusTypeActive). Optional numbers, booleans and structures are
// pointers; strings, timestamps, blobs, lists and maps use their zero
// values for absence. Output strings are written when non-empty, or always
// when the model marks them required.
//
// # Registering an action
//
//	d, err := awsquery.New(awsquery.Config{
//		Pipeline: &request.Pipeline{ // the steps every protocol shares
//			Authenticator: authn, // sigv4 + key lookup; anonymous for unsigned actions
//			Authorizer:    authz, // policy evaluation
//			Committers:    []request.Committer{indexIssued, syncCaches},
//			Auditor:       auditor,
//		},
//		Clock:        clock.Now,
//		ErrorMappers: []awsquery.ErrorMapper{iam.WireError},
//	})
//	awsquery.Register(d, stsapi.AssumeRole, awsquery.Handler[stsapi.AssumeRoleRequest, stsapi.AssumeRoleResponse]{
//		Effect: request.IssuesCredentials,
//		Target: func(ctx context.Context, r *awsquery.Request[stsapi.AssumeRoleRequest]) (request.Target, error) {
//			return request.Target{Resource: r.Input.RoleArn}, nil
//		},
//		Serve: func(ctx context.Context, r *awsquery.Request[stsapi.AssumeRoleRequest]) (*stsapi.AssumeRoleResponse, error) {
//			out, err := stsService.AssumeRole(ctx, r.Principal, r.Input, r.Now)
//			if err == nil {
//				r.Issue(request.Issuance{Kind: "AssumeRole", AccessKeyID: out.Credentials.AccessKeyId /* ... */})
//			}
//			return out, err
//		},
//	})
//
// Every handler declares its Effect (request.ReadOnly, Writes or
// IssuesCredentials) and names what to authorize (Target) or says in
// SkipAuthorization why it needs no identity-policy check; Register panics
// otherwise, so no action can skip authorization or its effect by
// omission, and nothing downstream guesses either from the action's name.
// An action that issues credentials reports them with Request.Issue; the
// pipeline fails it closed if it does not. Handlers return typed errors;
// errors of packages this one cannot import (they import stsapi or
// iamapi) are mapped by the Config.ErrorMappers the composition root
// supplies, built from this package's Code values; a
// request.AccessDeniedError is AccessDenied with its sentence.
//
// # Serving
//
// A Dispatcher is an http.Handler. For each request it: reads the body (up
// to Config.MaxBodyBytes) and the query string; finds the action from Action
// and Version (InvalidAction "Could not find operation X for version Y"
// otherwise); authenticates; decodes and validates the input (unknown or
// repeated parameters are InvalidQueryParameter, unparsable values
// InvalidParameterValue, constraint violations ValidationError in AWS's
// words); authorizes the handler's Target; runs the handler and the
// pipeline's commit steps; audits; and
// writes the response with Content-Type text/xml and x-amzn-RequestId.
// The Auditor sees every request, including failed ones, before anything
// is written, and an audit failure turns the response into
// ServiceUnavailable. A server that must fail a request before dispatch
// (for example a body over its own limit) writes the envelope with
// WriteError; one that has read the body already hands it over as a Body,
// which the dispatcher uses without reading it again.
package awsquery
