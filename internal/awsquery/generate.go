package awsquery

// The generated code: the error catalogue (errors_model.go) and the stsapi
// and iamapi packages, from the botocore models kept beside the repository in
// ../shared/vectors (never committed). After changing the generator or the
// models, run `go generate ./internal/awsquery` and commit the result, with
// -botocore naming the release the models were taken from; CI regenerates
// and fails on any difference.
//
//go:generate -command genquery go run ./internal/genquery -botocore 1.43.11
//go:generate genquery -errors -out errors_model.go ../../../shared/vectors/botocore-sts-iam-models/sts/2011-06-15/service-2.json ../../../shared/vectors/botocore-sts-iam-models/iam/2010-05-08/service-2.json
//go:generate genquery -model ../../../shared/vectors/botocore-sts-iam-models/sts/2011-06-15/service-2.json -pkg stsapi -out stsapi/zz_generated.go
//go:generate genquery -model ../../../shared/vectors/botocore-sts-iam-models/iam/2010-05-08/service-2.json -pkg iamapi -out iamapi/zz_generated.go
