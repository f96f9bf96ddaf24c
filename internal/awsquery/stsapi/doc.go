// Package stsapi is the AWS Security Token Service API surface, generated
// from the botocore STS model: a typed input and output struct per action,
// the shape table package awsquery decodes, validates and encodes with, and
// one awsquery.Operation per action to register handlers against.
//
// It holds no logic. Regenerate with `go generate` when the model changes
// (the models live beside the repository, in ../shared/vectors, and are
// never committed).
package stsapi

//go:generate go run ../internal/genquery -model ../../../../shared/vectors/botocore-sts-iam-models/sts/2011-06-15/service-2.json -pkg stsapi -out zz_generated.go
