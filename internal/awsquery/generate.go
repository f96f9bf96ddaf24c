package awsquery

//go:generate go run ./internal/genquery -errors -out errors_model.go ../../../shared/vectors/botocore-sts-iam-models/sts/2011-06-15/service-2.json ../../../shared/vectors/botocore-sts-iam-models/iam/2010-05-08/service-2.json
