// Package iamapi is the AWS Identity and Access Management API surface,
// generated from the botocore IAM model: a typed input and output struct per
// action, the shape table package awsquery decodes, validates and encodes
// with, and one awsquery.Operation per action to register handlers against.
//
// It holds no logic. Regenerate with `go generate ./internal/awsquery` when
// the generator or the model changes (the directives are in
// ../generate.go; the models live beside the repository, in
// ../shared/vectors, and are never committed).
package iamapi
