// Package iamapi is the AWS Identity and Access Management API surface,
// generated from the botocore IAM model: a typed input and output struct per
// action, the shape table package awsquery decodes, validates and encodes
// with, and one awsquery.Operation per action to register handlers against.
//
// It holds no logic. Regenerate with `go generate` when the model changes
// (the models live beside the repository, in ../shared/vectors, and are
// never committed).
package iamapi

//go:generate go run ../internal/genquery -model ../../../../shared/vectors/botocore-sts-iam-models/iam/2010-05-08/service-2.json -pkg iamapi -out zz_generated.go
