// Package sts is the AWS Security Token Service: GetCallerIdentity,
// GetAccessKeyInfo, GetSessionToken, AssumeRole, GetFederationToken and
// DecodeAuthorizationMessage, with AWS's parameters, limits and errors.
//
// It takes the authenticated caller (*identity.Principal) and a typed
// input, and returns a typed output or a typed error; it knows nothing of
// HTTP or wire codes (WireError maps its errors for package awsquery).
// Temporary credentials are minted by package credential (self-contained
// sealed tokens); who may assume which role is decided by package authz.
// Time is passed in; randomness comes from Config.Rand.
//
// ServiceSession is the one entry point for services that assume a role
// as an AWS service principal for a caller they authenticated themselves
// (IAM Roles Anywhere's CreateSession, the IoT credentials provider): the
// same role session as AssumeRole's, decided by the trust policy alone.
//
// Register wires the actions into an awsquery.Dispatcher.
package sts
