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
// Register wires the actions into an awsquery.Dispatcher.
package sts
