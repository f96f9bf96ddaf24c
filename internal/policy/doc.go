// Package policy is the IAM policy language: it parses and validates policy
// documents exactly as AWS does, compiles them once into a form that is cheap
// to evaluate, and evaluates requests with AWS's evaluation logic, returning a
// Decision that says why.
//
// Reading a document: Parse turns JSON into the Document AST, keeping what
// was written (Statement as object or array, string-or-array values,
// condition numbers and booleans as their literal text). Validate checks a
// Document against AWS's rules for one policy Type (identity, resource,
// trust, session, boundary) in AWS's order, and returns a *MalformedError
// whose Message is the text AWS returns with MalformedPolicyDocument.
// ParseAndValidate does both. Size counts a document as IAM does against its
// quotas, and the Check*Size functions return a *LimitError with AWS's
// message. Print writes a Document back as canonical JSON. Lint finds likely
// mistakes in valid documents, optionally with the AWS Service Authorization
// Reference (package servicereference) as its Catalog.
//
// Evaluating a request: Compile each policy once, gather a principal's
// policies in a Set, and call Evaluate with the resource's policy, if any.
// Unevaluated answers for the few actions AWS performs without evaluating
// policies (sts:GetCallerIdentity, sts:GetSessionToken).
//
// Errors are domain errors: they carry AWS's text but no HTTP status or wire
// code; the wire layer maps them with errors.As.
//
// It is pure: no I/O, no store, no clock (time arrives in the request
// context), no net/http. Everything that decides who may do what in Brevet
// goes through this package, so it is the most tested code we have.
package policy
